import { jidDecode, WAJIDDomains, type WASocket } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';

/**
 * The name Baileys files the account's own sender key of a group under
 * (`<group>::<signal user>::<device>`; a LID user is `<user>_1`), for the
 * phone-number identity and the LID one: Baileys picks by the group's addressing.
 */
function ownSenderKeyNames(sock: WASocket, groupJid: string): string[] {
  const me = sock.authState.creds.me;
  return [me?.id, me?.lid].flatMap(jid => {
    const decoded = jid ? jidDecode(jid) : undefined;
    if (!decoded?.user) return [];
    const domain = decoded.domainType ?? WAJIDDomains.WHATSAPP;
    const user = domain !== WAJIDDomains.WHATSAPP ? `${decoded.user}_${domain}` : decoded.user;
    return [`${groupJid}::${user}::${decoded.device ?? 0}`];
  });
}

/**
 * When someone leaves or is removed from a group, the account starts a new sender
 * key there, as WhatsApp's own clients do: the member who left kept the old key
 * and could read whatever follows with it. Baileys 7.0.0-rc14 keeps using the old
 * key (it never forgets its sender key or who has it), so the hub forgets both;
 * the next send makes a new key and hands it to the members still in the group.
 */
export function rotateSenderKeyOnRemoval(sock: WASocket, isCurrent: () => boolean, logger: Logger): void {
  sock.ev.on('group-participants.update', ({ id, action }) => {
    if (action !== 'remove' || !isCurrent()) return;
    const names = ownSenderKeyNames(sock, id);
    Promise.resolve(sock.authState.keys.set({ 'sender-key': Object.fromEntries(names.map(n => [n, null])), 'sender-key-memory': { [id]: null } })).catch(
      (err: unknown) => logger.warn({ err, group: id }, 'could not start a new sender key after a removal')
    );
  });
}
