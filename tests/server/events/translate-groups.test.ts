import type { GroupMetadata } from '@whiskeysockets/baileys';
import { validateEvent } from '../../../protocol/index.js';
import { translate } from '../../../server/events/translate.js';
import type { BaileysEvent } from '../../../server/instances/instance-session.js';
import { translateContext } from './translate-context.js';

const GID = '120363000000000001@g.us';
const ME = '5531900000001@s.whatsapp.net';
const ME_LID = '100000000000001@lid';
const ANA = '5531900000010@s.whatsapp.net';
const ANA_LID = '100000000000010@lid';
const BIA = '5531900000011@s.whatsapp.net';
const BIA_LID = '100000000000011@lid';
/** Known only by LID: no phone number beside it and none in the mapping. */
const STRANGER_LID = '100000000000099@lid';

let ctx: ReturnType<typeof translateContext>;
beforeEach(() => (ctx = translateContext({ lookup: { [BIA_LID]: BIA } })));
afterEach(() => ctx.cleanup());

const run = (event: BaileysEvent) => {
  const out = translate(event, ctx);
  for (const e of out) expect(validateEvent({ ...e, instance: { name: 'codechat', owner: null }, seq: 1, timestamp: 1 })).toEqual({ ok: true });
  return out;
};

const metadata = (over: Partial<GroupMetadata> = {}): GroupMetadata => ({
  id: GID,
  subject: 'Team',
  owner: ANA_LID,
  ownerPn: ANA,
  creation: 1_700_000_000,
  addressingMode: 'lid' as GroupMetadata['addressingMode'],
  participants: [
    { id: ANA_LID, phoneNumber: ANA, admin: 'superadmin' },
    { id: ME_LID, phoneNumber: ME, admin: null }
  ],
  size: 2,
  announce: false,
  restrict: false,
  ...over
});

test('groups.upsert: the contract shape with phone-number JIDs, LIDs beside them, and the metadata stored whole for Baileys', () => {
  const out = run({ name: 'groups.upsert', data: [{ ...metadata(), author: ANA_LID, authorPn: ANA }] });
  expect(out).toEqual([
    {
      event: 'groups.upsert',
      data: [
        {
          id: GID,
          subject: 'Team',
          description: null,
          owner: ANA,
          creation: 1_700_000_000,
          participants: [
            { wuid: ANA, lid: ANA_LID, admin: 'superadmin' },
            { wuid: ME, lid: ME_LID, admin: null }
          ],
          announce: false,
          restrict: false,
          size: 2
        }
      ]
    }
  ]);
  const stored = ctx.storage.groups.get(ctx.instanceId, GID)!;
  expect(stored.participants).toEqual(metadata().participants);
  // Who made the change is not part of the group.
  expect(stored).not.toHaveProperty('author');
});

test('a member known only by LID keeps the LID as wuid; one in the LID mapping gets its phone number', () => {
  const out = run({
    name: 'groups.upsert',
    data: [metadata({ participants: [{ id: STRANGER_LID, admin: null }, { id: BIA_LID, admin: 'admin' }] })]
  });
  const group = out[0]!.event === 'groups.upsert' ? out[0]!.data[0]! : undefined;
  expect(group?.participants).toEqual([
    { wuid: STRANGER_LID, lid: STRANGER_LID, admin: null },
    { wuid: BIA, lid: BIA_LID, admin: 'admin' }
  ]);
});

test('groups.update: merged into the stored group and reported with only what changed', () => {
  run({ name: 'groups.upsert', data: [metadata()] });
  expect(run({ name: 'groups.update', data: [{ id: GID, subject: 'Renamed', author: ANA_LID }] })).toEqual([
    { event: 'groups.update', data: [{ id: GID, subject: 'Renamed' }] }
  ]);
  expect(run({ name: 'groups.update', data: [{ id: GID, desc: 'about us' }] })).toEqual([
    { event: 'groups.update', data: [{ id: GID, description: 'about us' }] }
  ]);
  expect(run({ name: 'groups.update', data: [{ id: GID, announce: true }] })).toEqual([{ event: 'groups.update', data: [{ id: GID, announce: true }] }]);
  expect(ctx.storage.groups.get(ctx.instanceId, GID)).toMatchObject({ subject: 'Renamed', desc: 'about us', announce: true });
});

test('groups.update with the group whole and unchanged (after a fetch of all groups) gives no event', () => {
  run({ name: 'groups.upsert', data: [metadata()] });
  expect(run({ name: 'groups.update', data: [metadata()] })).toEqual([]);
});

test('groups.update of a group not stored: a whole one is stored and reported in full, a partial one passed on as it is', () => {
  const whole = run({ name: 'groups.update', data: [metadata()] });
  expect(whole[0]).toMatchObject({ event: 'groups.update', data: [{ id: GID, subject: 'Team', owner: ANA, size: 2 }] });
  expect(ctx.storage.groups.get(ctx.instanceId, GID)?.subject).toBe('Team');
  const other = '120363000000000002@g.us';
  expect(run({ name: 'groups.update', data: [{ id: other, restrict: true }] })).toEqual([{ event: 'groups.update', data: [{ id: other, restrict: true }] }]);
  expect(ctx.storage.groups.get(ctx.instanceId, other)).toBeUndefined();
});

test('group-participants.update: add, promote, demote and remove reach the stored members (what the next send uses)', () => {
  run({ name: 'groups.upsert', data: [metadata()] });
  const bia = { id: BIA_LID, phoneNumber: BIA, admin: null };
  const update = (action: 'add' | 'remove' | 'promote' | 'demote') =>
    run({ name: 'group-participants.update', data: { id: GID, author: ANA_LID, authorPn: ANA, action, participants: [bia] } });

  expect(update('add')).toEqual([{ event: 'group-participants.update', data: { id: GID, author: ANA, action: 'add', participants: [BIA] } }]);
  expect(ctx.storage.groups.get(ctx.instanceId, GID)?.participants.map(p => p.id)).toEqual([ANA_LID, ME_LID, BIA_LID]);
  expect(ctx.storage.groups.get(ctx.instanceId, GID)?.size).toBe(3);
  update('promote');
  expect(ctx.storage.groups.get(ctx.instanceId, GID)?.participants.find(p => p.id === BIA_LID)?.admin).toBe('admin');
  update('demote');
  expect(ctx.storage.groups.get(ctx.instanceId, GID)?.participants.find(p => p.id === BIA_LID)?.admin).toBeNull();
  update('remove');
  expect(ctx.storage.groups.get(ctx.instanceId, GID)?.participants.map(p => p.id)).toEqual([ANA_LID, ME_LID]);
});

test('group-participants.update for a group not stored is still reported; a number change (modify) is not an event', () => {
  const out = run({
    name: 'group-participants.update',
    data: { id: GID, author: STRANGER_LID, action: 'add', participants: [{ id: BIA_LID, admin: null }] }
  });
  expect(out).toEqual([{ event: 'group-participants.update', data: { id: GID, author: STRANGER_LID, action: 'add', participants: [BIA] } }]);
  expect(run({ name: 'group-participants.update', data: { id: GID, author: ANA_LID, action: 'modify', participants: [] } })).toEqual([]);
});
