import { randomBytes } from 'node:crypto';
import type { BinaryNode } from '@whiskeysockets/baileys';
import type { SimAccount } from './account.js';
import { newMessageId, type Phone, type StanzaBuilder } from './model.js';

/** A member's role as WhatsApp names it in `<participant type>`; null for a plain member. */
export type GroupRole = null | 'admin' | 'superadmin';
export type ParticipantAction = 'add' | 'remove' | 'promote' | 'demote';

/** A refusal of a group operation, with WhatsApp's IQ error code (404 unknown group, 403 not an admin...). */
export class GroupRefusal extends Error {
  constructor(
    readonly code: number,
    readonly text: string
  ) {
    super(text);
  }
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/**
 * One group as WhatsApp's server holds it. Members are phones (the account's own
 * or its contacts'); the group is LID-addressed, as WhatsApp's groups are now, so
 * every member travels as its LID with the phone number beside it.
 */
export class SimGroup {
  /** The user part of the group JID (`<id>@g.us`). */
  readonly id: string;
  subject: string;
  subjectOwner: Phone;
  subjectTime: number;
  readonly creation = nowSeconds();
  readonly creator: Phone;
  description?: { text: string; id: string; owner: Phone; time: number };
  /** Only admins send (WhatsApp's "announcement"). */
  announce = false;
  /** Only admins edit the group's info (WhatsApp's "locked"). */
  restrict = false;
  inviteCode = SimGroup.newInviteCode();
  readonly members = new Map<Phone, GroupRole>();
  /** Members who were removed or left: they keep every sender key they were given. */
  readonly former = new Set<Phone>();

  /** A fresh invite link code; the old one stops working. */
  static newInviteCode(): string {
    return randomBytes(16).toString('base64url').slice(0, 22);
  }

  constructor(subject: string, creator: Phone) {
    this.id = `120363${randomBytes(6).readUIntBE(0, 6).toString().padStart(12, '0').slice(0, 12)}`;
    this.subject = subject;
    this.subjectOwner = creator;
    this.subjectTime = this.creation;
    this.creator = creator;
    this.members.set(creator, 'superadmin');
  }

  get jid(): string {
    return `${this.id}@g.us`;
  }

  isAdmin(phone: Phone): boolean {
    return !!this.members.get(phone);
  }

  /** Throws the 403 WhatsApp answers when `phone` may not change the group's info or members. */
  assertMayEdit(phone: Phone, adminOnly: boolean): void {
    if (!this.members.has(phone)) throw new GroupRefusal(403, 'forbidden');
    if ((adminOnly || this.restrict) && !this.isAdmin(phone)) throw new GroupRefusal(403, 'not-authorized');
  }
}

/** A member's `<participant>` node: its LID, with the phone number beside it. */
export function participantNode(account: SimAccount, phone: Phone, role?: GroupRole): BinaryNode {
  return { tag: 'participant', attrs: { ...identity(account, phone), ...(role ? { type: role } : {}) } };
}

/** `jid` (the LID) and `phone_number` of a member, as LID-addressed groups name people. */
export function identity(account: SimAccount, phone: Phone): { jid: string; phone_number: string } {
  return { jid: lidOf(account, phone), phone_number: `${phone}@s.whatsapp.net` };
}

export function lidOf(account: SimAccount, phone: Phone): string {
  if (phone === account.phone) return account.lidJid;
  return account.contact(phone)?.lidJid ?? `${phone}@s.whatsapp.net`;
}

/** The `<group>` node of metadata answers, `participating` lists and `create` notifications. */
export function groupNode(account: SimAccount, group: SimGroup): BinaryNode {
  const content: BinaryNode[] = [...group.members].map(([phone, role]) => participantNode(account, phone, role));
  if (group.description) {
    const d = group.description;
    content.push({
      tag: 'description',
      attrs: { id: d.id, participant: lidOf(account, d.owner), participant_pn: `${d.owner}@s.whatsapp.net`, t: String(d.time) },
      content: [{ tag: 'body', attrs: {}, content: Buffer.from(d.text) }]
    });
  }
  if (group.announce) content.push({ tag: 'announcement', attrs: {} });
  if (group.restrict) content.push({ tag: 'locked', attrs: {} });
  return {
    tag: 'group',
    attrs: {
      id: group.id,
      subject: group.subject,
      s_o: lidOf(account, group.subjectOwner),
      s_o_pn: `${group.subjectOwner}@s.whatsapp.net`,
      s_t: String(group.subjectTime),
      creation: String(group.creation),
      creator: lidOf(account, group.creator),
      creator_pn: `${group.creator}@s.whatsapp.net`,
      size: String(group.members.size),
      addressing_mode: 'lid'
    },
    content
  };
}

/**
 * A `w:gp2` notification of a change `actor` made, as WhatsApp pushes it to every
 * member's devices: `participant` is the actor's LID, `participant_pn` its phone.
 */
export function groupNotification(account: SimAccount, group: SimGroup, actor: Phone, child: BinaryNode): StanzaBuilder {
  return async () => ({
    tag: 'notification',
    attrs: {
      from: group.jid,
      type: 'w:gp2',
      id: newMessageId(),
      t: String(nowSeconds()),
      participant: lidOf(account, actor),
      participant_pn: `${actor}@s.whatsapp.net`,
      addressing_mode: 'lid'
    },
    content: [child]
  });
}

/**
 * Applies a participants change by `actor` and answers per participant, as
 * WhatsApp does: `error` on the ones it refused (404 not on WhatsApp, 409 already
 * in / not in the group), none on the ones it took.
 */
export function changeParticipants(
  account: SimAccount,
  group: SimGroup,
  actor: Phone,
  action: ParticipantAction,
  phones: Phone[]
): { results: { phone: Phone; jid: string; error?: number }[]; changed: Phone[] } {
  group.assertMayEdit(actor, true);
  const results: { phone: Phone; jid: string; error?: number }[] = [];
  const changed: Phone[] = [];
  for (const phone of phones) {
    const jid = lidOf(account, phone);
    const known = phone === account.phone || account.contact(phone)?.onWhatsApp;
    const member = group.members.has(phone);
    let error: number | undefined;
    if (!known) error = 404;
    else if (action === 'add' ? member : !member) error = 409;
    else if (phone === group.creator && action !== 'add' && actor !== phone) error = 406; // nobody demotes or removes the creator
    if (error === undefined) {
      if (action === 'add') {
        group.members.set(phone, null);
        group.former.delete(phone);
      } else if (action === 'remove') {
        group.members.delete(phone);
        group.former.add(phone);
      }
      else group.members.set(phone, action === 'promote' ? 'admin' : null);
      changed.push(phone);
    }
    results.push({ phone, jid, ...(error !== undefined ? { error } : {}) });
  }
  return { results, changed };
}

/** The notification child for changed participants, e.g. `<add><participant jid phone_number/></add>`. */
export function participantsChild(account: SimAccount, action: ParticipantAction, phones: Phone[]): BinaryNode {
  return { tag: action, attrs: {}, content: phones.map(p => participantNode(account, p)) };
}

/** What the control API shows of a group: the simulator's truth. */
export function groupView(account: SimAccount, group: SimGroup) {
  return {
    id: group.jid,
    subject: group.subject,
    description: group.description?.text ?? null,
    creator: group.creator,
    creation: group.creation,
    announce: group.announce,
    restrict: group.restrict,
    inviteCode: group.inviteCode,
    participants: [...group.members].map(([phone, role]) => ({ phone, lid: lidOf(account, phone), role }))
  };
}
