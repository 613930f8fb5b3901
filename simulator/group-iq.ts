import { getBinaryNodeChild, getBinaryNodeChildren, jidDecode, type BinaryNode } from '@whiskeysockets/baileys';
import type { SimAccount } from './account.js';
import {
  changeParticipants,
  GroupRefusal,
  groupNode,
  groupNotification,
  participantsChild,
  SimGroup,
  type ParticipantAction
} from './groups.js';
import { rotateSenderKeys } from './group-messages.js';
import { newMessageId, type Phone } from './model.js';

const children = (node: BinaryNode | undefined): BinaryNode[] => (Array.isArray(node?.content) ? node.content : []);
const text = (node: BinaryNode | undefined): string =>
  node?.content instanceof Uint8Array ? Buffer.from(node.content).toString() : typeof node?.content === 'string' ? node.content : '';
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** The phone a participant JID (PN or LID, any device) names, or the digits of an unknown PN. */
function phoneOf(account: SimAccount, jid: string): Phone | undefined {
  const party = account.party(jid);
  if (party) return party.kind === 'phone' ? account.phone : party.contact.phone;
  const decoded = jidDecode(jid);
  return decoded?.server === 's.whatsapp.net' ? decoded.user : undefined;
}

const PARTICIPANT_ACTIONS = new Set<string>(['add', 'remove', 'promote', 'demote']);

/**
 * `w:g2` IQs from the client: create, metadata, participating, participants,
 * subject, description, settings, invite codes, join and leave. Every change is
 * also pushed back as a `w:gp2` notification, as WhatsApp does for all of the
 * account's devices, so the client learns of its own changes the same way as of others'.
 */
export function answerGroupIq(iq: BinaryNode, account: SimAccount): BinaryNode | BinaryNode[] | undefined {
  try {
    return route(iq, account);
  } catch (err) {
    if (err instanceof GroupRefusal) return { tag: 'error', attrs: { code: String(err.code), text: err.text } };
    throw err;
  }
}

function route(iq: BinaryNode, account: SimAccount): BinaryNode | BinaryNode[] | undefined {
  const first = children(iq)[0];
  const me = account.phone;
  const to = iq.attrs.to ?? '';
  if (to === '@g.us' || to === 'g.us') {
    if (first?.tag === 'participating') {
      const mine = [...account.groups.values()].filter(g => g.members.has(me));
      return { tag: 'groups', attrs: {}, content: mine.map(g => groupNode(account, g)) };
    }
    if (first?.tag === 'create') {
      const group = new SimGroup(first.attrs.subject ?? '', me);
      const phones = getBinaryNodeChildren(first, 'participant').map(p => phoneOf(account, p.attrs.jid ?? ''));
      account.groups.set(group.id, group);
      for (const phone of phones) if (phone && phone !== me && account.contact(phone)?.onWhatsApp) group.members.set(phone, null);
      void account.deliver(groupNotification(account, group, me, { tag: 'create', attrs: {}, content: [groupNode(account, group)] }));
      return groupNode(account, group);
    }
    if (first?.tag === 'invite' && first.attrs.code) {
      const group = [...account.groups.values()].find(g => g.inviteCode === first.attrs.code);
      if (!group) throw new GroupRefusal(406, 'not-acceptable');
      if (!group.members.has(me)) {
        group.members.set(me, null);
        group.former.delete(me);
        void account.deliver(groupNotification(account, group, me, participantsChild(account, 'add', [me])));
      }
      return { tag: 'group', attrs: { jid: group.jid } };
    }
    if (first?.tag === 'leave') {
      for (const g of getBinaryNodeChildren(first, 'group')) {
        const group = account.groups.get(jidDecode(g.attrs.id ?? '')?.user ?? g.attrs.id ?? '');
        if (!group?.members.has(me)) throw new GroupRefusal(404, 'item-not-found');
        group.members.delete(me);
        group.former.add(me);
        rotateSenderKeys(account, group);
        void account.deliver(groupNotification(account, group, me, participantsChild(account, 'remove', [me])));
      }
      return { tag: 'leave', attrs: {} };
    }
    return undefined;
  }

  const group = account.groups.get(jidDecode(to)?.user ?? '');
  if (!group) throw new GroupRefusal(404, 'item-not-found');
  if (!group.members.has(me)) throw new GroupRefusal(403, 'forbidden');
  const tag = first?.tag ?? '';
  const notify = (child: BinaryNode) => void account.deliver(groupNotification(account, group, me, child));

  if (tag === 'query') return groupNode(account, group);
  if (PARTICIPANT_ACTIONS.has(tag)) {
    const action = tag as ParticipantAction;
    const asked = getBinaryNodeChildren(first, 'participant').map(p => ({ jid: p.attrs.jid ?? '', phone: phoneOf(account, p.attrs.jid ?? '') }));
    const { results, changed } = changeParticipants(account, group, me, action, asked.flatMap(a => (a.phone ? [a.phone] : [])));
    if (changed.length) notify(participantsChild(account, action, changed));
    if (changed.length && action === 'remove') rotateSenderKeys(account, group);
    // Each participant is answered under the JID it was asked by.
    const answered = asked.map(a => {
      const result = results.find(r => r.phone === a.phone);
      const error = a.phone ? result?.error : 404;
      return { tag: 'participant', attrs: { jid: a.jid, ...(error !== undefined ? { error: String(error) } : {}) } };
    });
    return { tag: action, attrs: {}, content: answered };
  }
  if (tag === 'subject') {
    group.assertMayEdit(me, false);
    group.subject = text(first);
    group.subjectOwner = me;
    group.subjectTime = nowSeconds();
    notify({ tag: 'subject', attrs: { subject: group.subject, s_o: account.lidJid, s_t: String(group.subjectTime) } });
    return undefined;
  }
  if (tag === 'description') {
    group.assertMayEdit(me, false);
    const body = text(getBinaryNodeChild(first, 'body'));
    group.description = first?.attrs.delete === 'true' || !body ? undefined : { text: body, id: first?.attrs.id ?? newMessageId(), owner: me, time: nowSeconds() };
    notify({
      tag: 'description',
      attrs: { id: group.description?.id ?? newMessageId() },
      content: group.description ? [{ tag: 'body', attrs: {}, content: Buffer.from(body) }] : [{ tag: 'delete', attrs: {} }]
    });
    return undefined;
  }
  if (tag === 'announcement' || tag === 'not_announcement' || tag === 'locked' || tag === 'unlocked') {
    group.assertMayEdit(me, true);
    if (tag.endsWith('announcement')) group.announce = tag === 'announcement';
    else group.restrict = tag === 'locked';
    notify({ tag, attrs: {} });
    return undefined;
  }
  if (tag === 'invite') {
    group.assertMayEdit(me, true);
    if (iq.attrs.type === 'set') {
      group.inviteCode = SimGroup.newInviteCode();
      notify({ tag: 'invite', attrs: { code: group.inviteCode } });
    }
    return { tag: 'invite', attrs: { code: group.inviteCode } };
  }
  return undefined;
}
