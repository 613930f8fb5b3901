import { validateEvent, type CommandName, type EventEnvelope } from '../../protocol/index.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { AnyTransport, TRANSPORTS, type Transport } from '../helpers/any-transport.js';
import { EventClient, startHub, type TestHub } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';

const ME = '5521950000001';
const ANA = '5521950000010';
const BRUNO = '5521950000011';
const CARLA = '5521950000012';
const DANI = '5521950000013';
const EVA = '5521950000014';
const pn = (phone: string) => `${phone}@s.whatsapp.net`;
const UNKNOWN_GROUP = '120363000000000999@g.us';

let sim: WhatsAppSimulator;
let hub: TestHub;
let io: EventClient;
let any: AnyTransport;

beforeAll(async () => {
  sim = await startSimulator({ autoContacts: false });
  sim.createAccount({
    phone: ME,
    pushName: 'Me',
    contacts: [
      { phone: ANA, pushName: 'Ana' },
      { phone: BRUNO, pushName: 'Bruno', addressing: 'lid' },
      { phone: CARLA, pushName: 'Carla' },
      { phone: DANI, pushName: 'Dani' },
      { phone: EVA, pushName: 'Eva' }
    ]
  });
  hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '1000' } });
  const paired = await pairInstance(hub, sim, 'groups', ME);
  io = paired.client;
  any = await AnyTransport.open(hub.url, paired.token);
});
afterAll(async () => {
  any.close();
  io.close();
  await hub.close();
  await sim.stop();
});

const lastSeq = () => io.events.reduce((max, e) => Math.max(max, e.seq), 0);

/** The next event of that name after `seq` that passes the test, checked against its schema. */
async function next<N extends EventEnvelope['event']>(event: N, seq: number, test: (e: Extract<EventEnvelope, { event: N }>) => boolean = () => true) {
  const found = await io.waitFor(event, e => e.seq > seq && test(e));
  expect(validateEvent(found)).toEqual({ ok: true });
  return found;
}

const call = <C extends CommandName>(transport: Transport, command: C, args: Record<string, unknown>) =>
  any.call(transport, command, { instance: 'groups', ...args });
const phonesIn = (gid: string) => sim.group(ME, gid).participants.map(p => p.phone).sort();
const roleOf = (gid: string, phone: string) => sim.group(ME, gid).participants.find(p => p.phone === phone)?.role;

describe('a group the instance creates and manages', () => {
  let gid: string;

  test('group.create (REST 201): the group as WhatsApp made it, in the simulator, and a groups.upsert', async () => {
    const seq = lastSeq();
    const res = await call('rest', 'group.create', { subject: 'Sales', participants: [ANA, pn(BRUNO)], description: 'leads' });
    expect(res.httpStatus).toBe(201);
    gid = res.data!.id;
    expect(res.data).toMatchObject({ subject: 'Sales', description: 'leads', owner: pn(ME), size: 3, announce: false, restrict: false });
    expect(res.data!.participants.find(p => p.wuid === pn(ME))?.admin).toBe('superadmin');
    expect(phonesIn(gid)).toEqual([ANA, BRUNO, ME].sort());
    expect(sim.group(ME, gid).description).toBe('leads');
    const upsert = await next('groups.upsert', seq, e => e.data.some(g => g.id === gid));
    const group = upsert.data.find(g => g.id === gid)!;
    expect(group.participants.map(p => p.wuid).sort()).toEqual([ANA, BRUNO, ME].map(pn).sort());
    // Every member is named by phone number, with its LID beside it.
    for (const p of group.participants) expect(p.lid).toMatch(/@lid$/);
  });

  test('group.metadata and group.list answer it on every transport', async () => {
    for (const transport of TRANSPORTS) {
      const meta = await call(transport, 'group.metadata', { groupJid: gid });
      expect(meta.data).toMatchObject({ id: gid, subject: 'Sales', description: 'leads', size: 3 });
      const list = await call(transport, 'group.list', {});
      expect(list.data!.map(g => g.id)).toContain(gid);
    }
  });

  test('an unknown group is 404 in the error shape on every transport, for metadata and for a send', async () => {
    for (const transport of TRANSPORTS) {
      const meta = await call(transport, 'group.metadata', { groupJid: UNKNOWN_GROUP });
      expect(meta.error).toEqual({ status: 404, error: 'Not Found', message: `group ${UNKNOWN_GROUP} does not exist` });
      const send = await call(transport, 'message.sendText', { number: UNKNOWN_GROUP, text: 'anyone?' });
      expect(send.error?.status).toBe(404);
    }
    expect((await call('rest', 'group.metadata', { groupJid: UNKNOWN_GROUP })).httpStatus).toBe(404);
  });

  test('group.participants: add, promote, demote, remove (one transport each) change the truth and give group-participants.update', async () => {
    const steps = [
      ['rest', 'add'],
      ['socket.io', 'promote'],
      ['websocket', 'demote'],
      ['rest', 'remove']
    ] as const;
    for (const [transport, action] of steps) {
      const seq = lastSeq();
      const res = await call(transport, 'group.participants', { groupJid: gid, action, participants: [CARLA] });
      expect(res.data).toEqual({ groupJid: gid, action, participants: [{ number: CARLA, jid: pn(CARLA), status: 200 }] });
      const event = await next('group-participants.update', seq, e => e.data.id === gid && e.data.action === action);
      expect(event.data).toEqual({ id: gid, author: pn(ME), action, participants: [pn(CARLA)] });
      if (action === 'promote') expect(roleOf(gid, CARLA)).toBe('admin');
      if (action === 'demote') expect(roleOf(gid, CARLA)).toBeNull();
    }
    expect(phonesIn(gid)).toEqual([ANA, BRUNO, ME].sort());
  });

  test('adding one who is already in answers its own status (409) beside the one added', async () => {
    const res = await call('socket.io', 'group.participants', { groupJid: gid, action: 'add', participants: [ANA, DANI] });
    expect(res.data!.participants.map(p => [p.number, p.status])).toEqual([
      [ANA, 409],
      [DANI, 200]
    ]);
    expect(phonesIn(gid)).toContain(DANI);
    await call('socket.io', 'group.participants', { groupJid: gid, action: 'remove', participants: [DANI] });
  });

  test('subject, description and settings: the truth changes and groups.update carries only what changed', async () => {
    let seq = lastSeq();
    expect((await call('websocket', 'group.subject', { groupJid: gid, subject: 'Sales team' })).data).toEqual({ groupJid: gid, subject: 'Sales team' });
    expect(sim.group(ME, gid).subject).toBe('Sales team');
    expect((await next('groups.update', seq, e => e.data.some(u => u.id === gid))).data).toEqual([{ id: gid, subject: 'Sales team' }]);

    seq = lastSeq();
    await call('rest', 'group.description', { groupJid: gid, description: 'all leads' });
    expect(sim.group(ME, gid).description).toBe('all leads');
    expect((await next('groups.update', seq, e => e.data.some(u => u.id === gid))).data).toEqual([{ id: gid, description: 'all leads' }]);

    seq = lastSeq();
    const locked = await call('socket.io', 'group.settings', { groupJid: gid, action: 'locked' });
    expect(locked.data).toEqual({ groupJid: gid, announce: false, restrict: true });
    expect(sim.group(ME, gid).restrict).toBe(true);
    expect((await next('groups.update', seq, e => e.data.some(u => u.id === gid))).data).toEqual([{ id: gid, restrict: true }]);
    seq = lastSeq();
    await call('socket.io', 'group.settings', { groupJid: gid, action: 'unlocked' });
    expect(sim.group(ME, gid).restrict).toBe(false);
    await next('groups.update', seq, e => e.data.some(u => u.id === gid && u.restrict === false));

    seq = lastSeq();
    expect((await call('rest', 'group.settings', { groupJid: gid, action: 'announcement' })).data).toEqual({ groupJid: gid, announce: true, restrict: false });
    expect(sim.group(ME, gid).announce).toBe(true);
    expect((await next('groups.update', seq, e => e.data.some(u => u.id === gid))).data).toEqual([{ id: gid, announce: true }]);
    await call('websocket', 'group.settings', { groupJid: gid, action: 'not_announcement' });
    expect(sim.group(ME, gid).announce).toBe(false);
    await next('groups.update', seq, e => e.data.some(u => u.id === gid && u.announce === false));
  });

  test('invite code: get answers the simulator’s code as a link, revoke replaces it', async () => {
    const got = await call('rest', 'group.inviteCode', { groupJid: gid });
    expect(got.data).toEqual({ groupJid: gid, inviteCode: sim.group(ME, gid).inviteCode, inviteUrl: `https://chat.whatsapp.com/${sim.group(ME, gid).inviteCode}` });
    const revoked = await call('rest', 'group.revokeInvite', { groupJid: gid });
    expect(revoked.data!.inviteCode).not.toBe(got.data!.inviteCode);
    expect(sim.group(ME, gid).inviteCode).toBe(revoked.data!.inviteCode);
  });

  test('a send to the group reaches every member; one added by another admin receives the next send', async () => {
    const first = await call('rest', 'message.sendText', { number: gid, text: 'hello team' });
    expect(first.httpStatus).toBe(201);
    await waitUntil(() => sim.outbox(ME).some(e => e.id === first.data!.key.id), 20_000);
    expect([...sim.outbox(ME).find(e => e.id === first.data!.key.id)!.participants!].sort()).toEqual([ANA, BRUNO].sort());

    // Ana is promoted, then she adds Eva: the hub hears it as an event and its stored members follow.
    await call('rest', 'group.participants', { groupJid: gid, action: 'promote', participants: [ANA] });
    const seq = lastSeq();
    await sim.groupParticipants(ME, gid, { action: 'add', participants: [EVA], by: ANA });
    const added = await next('group-participants.update', seq, e => e.data.id === gid && e.data.action === 'add');
    expect(added.data).toEqual({ id: gid, author: pn(ANA), action: 'add', participants: [pn(EVA)] });

    const second = await call('socket.io', 'message.sendText', { number: gid, text: 'welcome Eva' });
    await waitUntil(() => sim.outbox(ME).some(e => e.id === second.data!.key.id), 20_000);
    expect([...sim.outbox(ME).find(e => e.id === second.data!.key.id)!.participants!].sort()).toEqual([ANA, BRUNO, EVA].sort());
  });

  test('a send uses the stored members, not a fresh fetch: a member WhatsApp added without telling the hub does not get it', async () => {
    // A notification the hub never saw: WhatsApp's truth has Dani, the hub's store does not.
    sim.account(ME).groups.get(gid.replace('@g.us', ''))!.members.set(DANI, null);
    const sent = await call('websocket', 'message.sendText', { number: gid, text: 'from the cache' });
    await waitUntil(() => sim.outbox(ME).some(e => e.id === sent.data!.key.id), 20_000);
    expect(sim.outbox(ME).find(e => e.id === sent.data!.key.id)!.participants).not.toContain(DANI);
    // group.metadata asks WhatsApp and stores what it answers: the next send reaches Dani.
    await call('websocket', 'group.metadata', { groupJid: gid });
    const after = await call('websocket', 'message.sendText', { number: gid, text: 'now with Dani' });
    await waitUntil(() => sim.outbox(ME).some(e => e.id === after.data!.key.id), 20_000);
    expect(sim.outbox(ME).find(e => e.id === after.data!.key.id)!.participants).toContain(DANI);
  });

  test('after a member is removed the hub starts a new sender key: the removed one could not read what follows', async () => {
    const seq = lastSeq();
    await call('rest', 'group.participants', { groupJid: gid, action: 'remove', participants: [EVA] });
    await next('group-participants.update', seq, e => e.data.id === gid && e.data.action === 'remove');
    const sent = await call('rest', 'message.sendText', { number: gid, text: 'Eva is gone' });
    await waitUntil(() => sim.outbox(ME).some(e => e.id === sent.data!.key.id), 20_000);
    const entry = sim.outbox(ME).find(e => e.id === sent.data!.key.id)!;
    expect(entry.participants).not.toContain(EVA);
    expect(entry.participants).toContain(ANA);
    // Eva kept the old key; a copy of this message would be noise to her.
    expect(entry.readableByFormer).toEqual([]);
  });

  test('a bulk queue sends to a group, and refuses an unknown one with 404 per recipient', async () => {
    const seq = lastSeq();
    const created = await call('rest', 'queue.create', { numbers: [gid, UNKNOWN_GROUP], message: { text: 'bulk to groups' }, options: { minDelayMs: 0, maxDelayMs: 0 } });
    expect(created.httpStatus).toBe(201);
    const queueId = created.data!.queueId;
    const error = await next('send.message:ERROR', seq, e => e.data.queueId === queueId);
    expect(error.data).toMatchObject({ number: UNKNOWN_GROUP, status: 404, error: 'Not Found' });
    const done = await next('send.message:COMPLETED', seq, e => e.data.queue.queueId === queueId);
    expect(done.data.queue.data.jids).toEqual([gid]);
    const id = done.data.queue.data.messageIds[0]!;
    await waitUntil(() => sim.outbox(ME).some(e => e.id === id), 20_000);
    expect(sim.outbox(ME).find(e => e.id === id)).toMatchObject({ group: gid, text: 'bulk to groups' });
  });
});

describe('a group others manage', () => {
  let gid: string;

  test('a contact creates a group with the instance in it: groups.upsert, with Ana as superadmin', async () => {
    const seq = lastSeq();
    gid = (await sim.createGroup(ME, { subject: 'Ana’s', participants: [BRUNO, CARLA], by: ANA })).id;
    const upsert = await next('groups.upsert', seq, e => e.data.some(g => g.id === gid));
    const group = upsert.data.find(g => g.id === gid)!;
    expect(group.owner).toBe(pn(ANA));
    expect(group.participants.find(p => p.wuid === pn(ANA))?.admin).toBe('superadmin');
    expect(group.participants.find(p => p.wuid === pn(ME))?.admin).toBeNull();
  });

  test('as a plain member, admin-only commands are 403 on every transport and nothing changes', async () => {
    for (const transport of TRANSPORTS) {
      const res = await call(transport, 'group.participants', { groupJid: gid, action: 'add', participants: [DANI] });
      expect(res.error).toEqual({ status: 403, error: 'Forbidden', message: `the instance is not an admin of group ${gid}` });
      expect((await call(transport, 'group.settings', { groupJid: gid, action: 'announcement' })).error?.status).toBe(403);
      expect((await call(transport, 'group.inviteCode', { groupJid: gid })).error?.status).toBe(403);
    }
    expect(phonesIn(gid)).not.toContain(DANI);
    expect(sim.group(ME, gid).announce).toBe(false);
  });

  test('messages from three members arrive as new.message: the group as wuid, the sender by phone number, fromGroup', async () => {
    for (const from of [ANA, BRUNO, CARLA]) {
      for (const round of [1, 2]) {
        const seq = lastSeq();
        const text = `${round} from ${from}`;
        const { messageId } = await sim.groupMessage(ME, gid, from, text);
        const e = await next('new.message', seq, m => m.data.header.messageId === messageId);
        expect(e.data.header).toMatchObject({ wuid: gid, participant: pn(from), fromMe: false });
        expect(e.data.body).toEqual({ messageType: 'conversation', message: text });
        expect(e.data.context.fromGroup).toBe(true);
      }
    }
  });

  test('an inbound mention is kept in new.message', async () => {
    const seq = lastSeq();
    const { messageId } = await sim.groupMessage(ME, gid, BRUNO, '@5521950000001 see this', [ME]);
    const e = await next('new.message', seq, m => m.data.header.messageId === messageId);
    expect(e.data.body.messageType).toBe('extendedTextMessage');
    expect(e.data.body.message).toMatchObject({ text: '@5521950000001 see this', contextInfo: { mentionedJid: [pn(ME)] } });
    expect(e.data.header.participant).toBe(pn(BRUNO));
  });

  test('a mention in a group send is kept in the message the members read', async () => {
    const sent = await call('socket.io', 'message.sendText', { number: gid, text: '@5521950000010 look', mentions: [ANA] });
    await waitUntil(() => sim.outbox(ME).some(e => e.id === sent.data!.key.id), 20_000);
    const entry = sim.outbox(ME).find(e => e.id === sent.data!.key.id)!;
    expect((entry.message as { extendedTextMessage?: { contextInfo?: { mentionedJid?: string[] } } }).extendedTextMessage?.contextInfo?.mentionedJid).toEqual([pn(ANA)]);
    expect([...entry.participants!].sort()).toEqual([ANA, BRUNO, CARLA].sort());
  });

  test('only admins write once Ana turns announcement on: a send is 403 before anything goes out', async () => {
    const group = sim.account(ME).groups.get(gid.replace('@g.us', ''))!;
    const seq = lastSeq();
    // Ana's phone would send this notification; the simulator's truth is changed the same way.
    group.announce = true;
    await sim.account(ME).deliver(async () => ({
      tag: 'notification',
      attrs: { from: gid, type: 'w:gp2', id: 'ANNOUNCE1', t: String(Math.floor(Date.now() / 1000)), participant: sim.account(ME).listContacts().find(c => c.phone === ANA)!.lidJid, participant_pn: pn(ANA) },
      content: [{ tag: 'announcement', attrs: {} }]
    }));
    await next('groups.update', seq, e => e.data.some(u => u.id === gid && u.announce === true));
    const before = sim.outbox(ME).length;
    const res = await call('rest', 'message.sendText', { number: gid, text: 'may I?' });
    expect(res.error).toEqual({ status: 403, error: 'Forbidden', message: `the instance is not an admin of group ${gid}` });
    expect(sim.outbox(ME).length).toBe(before);
  });

  test('leave, a send is then 403; join again by invite code (a bad code is 404)', async () => {
    const seq = lastSeq();
    expect((await call('websocket', 'group.leave', { groupJid: gid })).data).toEqual({ groupJid: gid, left: true });
    expect(phonesIn(gid)).not.toContain(ME);
    await next('group-participants.update', seq, e => e.data.id === gid && e.data.action === 'remove' && e.data.participants.includes(pn(ME)));
    expect((await call('rest', 'message.sendText', { number: gid, text: 'still here?' })).error?.status).toBe(403);

    const bad = await call('rest', 'group.acceptInvite', { inviteCode: 'nosuchcode' });
    expect(bad.error).toEqual({ status: 404, error: 'Not Found', message: 'the invite code is not valid or was revoked' });
    const before = lastSeq();
    const joined = await call('rest', 'group.acceptInvite', { inviteCode: `https://chat.whatsapp.com/${sim.group(ME, gid).inviteCode}` });
    expect(joined.data).toEqual({ groupJid: gid });
    expect(phonesIn(gid)).toContain(ME);
    // Joining brings the whole group, as a group the account joined.
    const upsert = await next('groups.upsert', before, e => e.data.some(g => g.id === gid));
    expect(upsert.data.find(g => g.id === gid)!.participants.map(p => p.wuid)).toContain(pn(ME));
  });

  test('added to a group by a member: groups.upsert with the whole group, and a send reaches its members', async () => {
    const other = (await sim.createGroup(ME, { subject: 'Later', participants: [CARLA], by: BRUNO })).id;
    await call('rest', 'group.leave', { groupJid: other });
    const seq = lastSeq();
    await sim.groupParticipants(ME, other, { action: 'add', participants: [ME], by: BRUNO });
    const upsert = await next('groups.upsert', seq, e => e.data.some(g => g.id === other));
    expect(upsert.data.find(g => g.id === other)).toMatchObject({ subject: 'Later', owner: pn(BRUNO), size: 3 });
    const sent = await call('rest', 'message.sendText', { number: other, text: 'back again' });
    await waitUntil(() => sim.outbox(ME).some(e => e.id === sent.data!.key.id), 20_000);
    expect([...sim.outbox(ME).find(e => e.id === sent.data!.key.id)!.participants!].sort()).toEqual([BRUNO, CARLA].sort());
  });
});

describe('groups the account was in before the hub linked it', () => {
  const OTHER = '5521950000020';

  test('arrive after pairing without any group command: stored, emitted whole, and a send reaches their members', async () => {
    sim.createAccount({ phone: OTHER, pushName: 'Other', contacts: [{ phone: ANA, pushName: 'Ana' }, { phone: CARLA, pushName: 'Carla' }] });
    const gid = (await sim.createGroup(OTHER, { subject: 'Before', participants: [CARLA], by: ANA })).id;
    const paired = await pairInstance(hub, sim, 'linked-later', OTHER);
    try {
      const found = await paired.client.waitFor('groups.update', e => e.data.some(g => g.id === gid));
      expect(validateEvent(found)).toEqual({ ok: true });
      const group = found.data.find(g => g.id === gid)!;
      expect(group).toMatchObject({ subject: 'Before', owner: pn(ANA), size: 3 });
      expect(group.participants!.map(p => p.wuid).sort()).toEqual([ANA, CARLA, OTHER].map(pn).sort());
      // Stored: the send reads its members from the store rather than asking WhatsApp first.
      const other = await AnyTransport.open(hub.url, paired.token);
      try {
        const sent = await other.call('rest', 'message.sendText', { instance: 'linked-later', number: gid, text: 'hello, old group' });
        expect(sent.httpStatus).toBe(201);
        await waitUntil(() => sim.outbox(OTHER).some(e => e.id === sent.data!.key.id), 20_000);
        expect([...sim.outbox(OTHER).find(e => e.id === sent.data!.key.id)!.participants!].sort()).toEqual([ANA, CARLA].sort());
      } finally {
        other.close();
      }
    } finally {
      paired.client.close();
    }
  });
});
