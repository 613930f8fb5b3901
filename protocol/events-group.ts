import { Type } from 'typebox';
import { Jid } from './common.js';

/** A member's role: null for a plain member. */
export const GroupRole = Type.Union([Type.Null(), Type.Literal('admin'), Type.Literal('superadmin')]);

/** A member: `wuid` is the phone-number JID when known; `lid` beside it when WhatsApp named it by LID. */
export const GroupParticipant = Type.Object({
  wuid: Jid,
  lid: Type.Optional(Jid),
  admin: GroupRole
});

/** A group as EVENTS.md "Events beyond the map" shapes it. */
export const Group = Type.Object({
  id: Jid,
  subject: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  /** The creator's phone-number JID when known; null when WhatsApp did not say. */
  owner: Type.Union([Jid, Type.Null()]),
  /** Seconds. */
  creation: Type.Union([Type.Integer(), Type.Null()]),
  participants: Type.Array(GroupParticipant),
  /** Only admins send messages. */
  announce: Type.Boolean(),
  /** Only admins edit the group's info. */
  restrict: Type.Boolean(),
  size: Type.Integer({ minimum: 0 })
});

/** groups.upsert: groups the account joined or created. */
export const GroupsUpsertData = Type.Array(Group);

/** groups.update: per group, its `id` and only the fields that changed. */
export const GroupsUpdateData = Type.Array(
  Type.Object({
    id: Jid,
    subject: Type.Optional(Type.String()),
    description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    owner: Type.Optional(Type.Union([Jid, Type.Null()])),
    creation: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    participants: Type.Optional(Type.Array(GroupParticipant)),
    announce: Type.Optional(Type.Boolean()),
    restrict: Type.Optional(Type.Boolean()),
    size: Type.Optional(Type.Integer({ minimum: 0 }))
  })
);

/** group-participants.update: members added, removed, promoted or demoted; `author` is who did it (phone-number JID when known). */
export const GroupParticipantsUpdateData = Type.Object({
  id: Jid,
  author: Type.Union([Jid, Type.Null()]),
  action: Type.Union([Type.Literal('add'), Type.Literal('remove'), Type.Literal('promote'), Type.Literal('demote')]),
  participants: Type.Array(Jid)
});
