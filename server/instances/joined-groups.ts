import { areJidsSameUser, type GroupParticipant, type WASocket } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { BaileysEvent } from './instance-session.js';

const isMe = (sock: WASocket, p: GroupParticipant): boolean => {
  const me = sock.authState.creds.me;
  const mine = [me?.id, me?.lid].filter((j): j is string => !!j);
  return [p.id, p.phoneNumber, p.lid].some(jid => !!jid && mine.some(m => areJidsSameUser(jid, m)));
};

/**
 * A group the account was added to (by a member, or joining by invite) reaches
 * Baileys only as a participants change naming the account: WhatsApp sends no
 * `create` then, so Baileys emits no `groups.upsert`. The hub asks for the group's
 * metadata and hands it on as the `groups.upsert` Baileys would have emitted, so
 * it is stored and reported like any group the account joined.
 */
export function upsertJoinedGroups(sock: WASocket, isCurrent: () => boolean, emit: (event: BaileysEvent) => void, logger: Logger): void {
  sock.ev.on('group-participants.update', ({ id, action, participants }) => {
    if (action !== 'add' || !participants.some(p => isMe(sock, p))) return;
    sock
      .groupMetadata(id)
      .then(meta => isCurrent() && emit({ name: 'groups.upsert', data: [meta] }))
      .catch(err => logger.warn({ err, group: id }, 'could not fetch a group the account was added to'));
  });
}
