import { Type } from 'typebox';
import { InstanceName } from './common.js';
import { Group } from './events-group.js';

const strict = { additionalProperties: false } as const;

/** A group's JID, `<digits>@g.us` (older groups: `<creator>-<time>@g.us`). */
export const GroupJid = Type.String({ pattern: '^[0-9]{5,32}(-[0-9]{5,16})?@g\\.us$', description: 'group JID' });
/** A member named by phone number (any common notation) or JID. */
const Member = Type.String({ minLength: 3, maxLength: 128, pattern: '^(\\+?[0-9 ()-]{6,32}|[^@\\s]+@(s\\.whatsapp\\.net|lid))$' });
const Members = Type.Array(Member, { minItems: 1, maxItems: 1024 });
const Subject = Type.String({ minLength: 1, maxLength: 100 });
const OnGroup = Type.Object({ instance: InstanceName, groupJid: GroupJid }, strict);
const Invite = Type.Object({ groupJid: GroupJid, inviteCode: Type.String(), inviteUrl: Type.String() });

/** Groups: create, read and manage the account's groups. */
export const GroupCommandSchemas = {
  /** Creates a group with the account as its superadmin; answers the group as WhatsApp made it. */
  'group.create': {
    args: Type.Object({ instance: InstanceName, subject: Subject, participants: Members, description: Type.Optional(Type.String({ maxLength: 2048 })) }, strict),
    result: Group
  },
  /** Every group the account is in, as WhatsApp has them now. */
  'group.list': { args: Type.Object({ instance: InstanceName }, strict), result: Type.Array(Group) },
  /** One group, as WhatsApp has it now. */
  'group.metadata': { args: OnGroup, result: Group },
  /** Adds, removes, promotes or demotes members (admins only); each participant is answered with its own status. */
  'group.participants': {
    args: Type.Object(
      {
        instance: InstanceName,
        groupJid: GroupJid,
        action: Type.Union([Type.Literal('add'), Type.Literal('remove'), Type.Literal('promote'), Type.Literal('demote')]),
        participants: Members
      },
      strict
    ),
    result: Type.Object({
      groupJid: GroupJid,
      action: Type.String(),
      /** `status` 200 when done; WhatsApp's code when it refused that one (404 not on WhatsApp, 409 already in or not in the group). */
      participants: Type.Array(Type.Object({ number: Type.String(), jid: Type.String(), status: Type.Integer() }))
    })
  },
  /** Renames the group (admins only when the group is `restrict`). */
  'group.subject': {
    args: Type.Object({ instance: InstanceName, groupJid: GroupJid, subject: Subject }, strict),
    result: Type.Object({ groupJid: GroupJid, subject: Type.String() })
  },
  /** Sets the group's description; an empty one removes it (admins only when the group is `restrict`). */
  'group.description': {
    args: Type.Object({ instance: InstanceName, groupJid: GroupJid, description: Type.String({ maxLength: 2048 }) }, strict),
    result: Type.Object({ groupJid: GroupJid, description: Type.Union([Type.String(), Type.Null()]) })
  },
  /** Only admins send (`announcement`) or everyone (`not_announcement`); only admins edit the info (`locked`) or everyone (`unlocked`). Admins only. */
  'group.settings': {
    args: Type.Object(
      {
        instance: InstanceName,
        groupJid: GroupJid,
        action: Type.Union([Type.Literal('announcement'), Type.Literal('not_announcement'), Type.Literal('locked'), Type.Literal('unlocked')])
      },
      strict
    ),
    result: Type.Object({ groupJid: GroupJid, announce: Type.Boolean(), restrict: Type.Boolean() })
  },
  /** The group's invite link (admins only). */
  'group.inviteCode': { args: OnGroup, result: Invite },
  /** Replaces the invite link; the old one stops working (admins only). */
  'group.revokeInvite': { args: OnGroup, result: Invite },
  /** Joins a group by its invite code (or the whole `https://chat.whatsapp.com/…` link). */
  'group.acceptInvite': {
    args: Type.Object({ instance: InstanceName, inviteCode: Type.String({ minLength: 1, maxLength: 128 }) }, strict),
    result: Type.Object({ groupJid: GroupJid })
  },
  /** Leaves the group. */
  'group.leave': { args: OnGroup, result: Type.Object({ groupJid: GroupJid, left: Type.Boolean() }) }
} as const;
