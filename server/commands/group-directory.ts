import { areJidsSameUser, type GroupMetadata, type GroupParticipant, type WASocket } from '@whiskeysockets/baileys';
import type { Storage } from '../../storage/index.js';
import { Errors } from '../errors.js';
import type { InstanceRegistry } from '../instances/instance-registry.js';

/** WhatsApp's code on a refused group IQ: Baileys puts it in the Boom's `data`. */
const whatsappCode = (err: unknown): number | undefined => {
  const data = (err as { data?: unknown }).data;
  return typeof data === 'number' ? data : undefined;
};

/**
 * WhatsApp's refusal of a group request in the hub's words: 404 unknown group,
 * 403 not a participant or not an admin, anything else a 502 with its reason.
 */
export function groupRefusal(err: unknown, groupJid: string, forbidden: 'member' | 'admin' = 'member'): Error {
  const code = whatsappCode(err);
  if (code === 404) return new Errors.groupNotFound(groupJid);
  if (code === 403 || code === 401) return forbidden === 'admin' ? new Errors.notGroupAdmin(groupJid) : new Errors.notGroupMember(groupJid);
  return new Errors.groupFailed((err as Error).message ?? String(err));
}

/** The account's own entry among a group's members, matched by its phone-number JID or its LID. */
export function ownEntry(meta: GroupMetadata, sock: WASocket): GroupParticipant | undefined {
  const me = sock.user;
  if (!me) return undefined;
  const isMe = (jid: string | undefined) => !!jid && (areJidsSameUser(jid, me.id) || (!!me.lid && areJidsSameUser(jid, me.lid)));
  return meta.participants.find(p => isMe(p.id) || isMe(p.phoneNumber) || isMe(p.lid));
}

/**
 * Where commands learn about a group: the stored metadata (kept current by the
 * group events), else WhatsApp, whose answer is then stored. The same check
 * guards sends to a group, instead of the number check phone numbers get.
 */
export class GroupDirectory {
  constructor(
    private readonly registry: InstanceRegistry,
    private readonly storage: Storage
  ) {}

  /** Stores metadata WhatsApp answered (e.g. a group just created). */
  remember(instance: string, meta: GroupMetadata): void {
    this.storage.groups.put(this.registry.get(instance).row.id, meta);
  }

  /** WhatsApp's metadata now, stored for Baileys' sends. */
  async fetch(instance: string, sock: WASocket, groupJid: string): Promise<GroupMetadata> {
    const meta = await sock.groupMetadata(groupJid).catch(err => {
      throw groupRefusal(err, groupJid);
    });
    this.remember(instance, meta);
    return meta;
  }

  /** The group with the account in it, or 404 (unknown) / 403 (not a participant). */
  async member(instance: string, sock: WASocket, groupJid: string): Promise<{ meta: GroupMetadata; me: GroupParticipant }> {
    const stored = this.storage.groups.get(this.registry.get(instance).row.id, groupJid);
    const meta = stored ?? (await this.fetch(instance, sock, groupJid));
    const me = ownEntry(meta, sock);
    if (!me) throw new Errors.notGroupMember(groupJid);
    return { meta, me };
  }

  /** Like `member`, and the account must be an admin (403 otherwise). */
  async admin(instance: string, sock: WASocket, groupJid: string): Promise<GroupMetadata> {
    const { meta, me } = await this.member(instance, sock, groupJid);
    if (!me.admin) throw new Errors.notGroupAdmin(groupJid);
    return meta;
  }

  /** What changing the group's info needs: any member, unless the group is `restrict`, then an admin. */
  async editor(instance: string, sock: WASocket, groupJid: string): Promise<GroupMetadata> {
    const { meta, me } = await this.member(instance, sock, groupJid);
    if (meta.restrict && !me.admin) throw new Errors.notGroupAdmin(groupJid);
    return meta;
  }

  /** What sending to the group needs: a member, and an admin when only admins send (`announce`). */
  async sender(instance: string, sock: WASocket, groupJid: string): Promise<void> {
    const { meta, me } = await this.member(instance, sock, groupJid);
    if (meta.announce && !me.admin) throw new Errors.notGroupAdmin(groupJid);
  }
}
