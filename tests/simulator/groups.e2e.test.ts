import { areJidsSameUser, jidNormalizedUser, proto } from '@whiskeysockets/baileys';
import type { TestClient } from '../helpers/baileys-client.js';
import { pairedClient, startSimulator, waitUntil } from '../helpers/simulator.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';

const ME = '5521910000001';
const ANA = '5521910000010';
const BRUNO = '5521910000011';
const CARLA = '5521910000012';
const DANI = '5521910000013';
const pn = (phone: string) => `${phone}@s.whatsapp.net`;

let sim: WhatsAppSimulator;
let client: TestClient;

beforeAll(async () => {
  sim = await startSimulator({ autoContacts: false });
  client = await pairedClient(sim, {
    phone: ME,
    pushName: 'Me',
    contacts: [
      { phone: ANA, pushName: 'Ana' },
      { phone: BRUNO, pushName: 'Bruno', addressing: 'lid' },
      { phone: CARLA, pushName: 'Carla' },
      { phone: DANI, pushName: 'Dani' }
    ]
  });
});
afterAll(async () => {
  client.stop();
  await sim.stop();
});

const textOf = (m: proto.IWebMessageInfo) => m.message?.conversation ?? m.message?.extendedTextMessage?.text;
const phonesOf = (view: ReturnType<WhatsAppSimulator['group']>) => view.participants.map(p => p.phone).sort();

/** Baileys' error for a refused IQ carries WhatsApp's code in `data`. */
async function refusal(run: Promise<unknown>): Promise<number> {
  try {
    await run;
  } catch (err) {
    return (err as { data?: number }).data ?? -1;
  }
  throw new Error('expected a refusal');
}

describe('groups the client manages', () => {
  let gid: string;

  test('create: the answer is the metadata, the simulator holds it, and a create notification brings groups.upsert', async () => {
    const mark = client.mark;
    const meta = await client.sock.groupCreate('Team', [pn(ANA), pn(BRUNO)]);
    gid = meta.id;
    expect(gid).toMatch(/@g\.us$/);
    expect(meta.subject).toBe('Team');
    expect(meta.addressingMode).toBe('lid');
    const me = meta.participants.find(p => areJidsSameUser(p.phoneNumber, pn(ME)));
    expect(me?.admin).toBe('superadmin');
    expect(meta.participants.map(p => p.phoneNumber).sort()).toEqual([pn(ANA), pn(BRUNO), pn(ME)].sort());
    expect(phonesOf(sim.group(ME, gid))).toEqual([ANA, BRUNO, ME].sort());
    const upsert = await client.waitFor('groups.upsert', g => g.some(x => x.id === gid), { since: mark });
    expect(upsert[0]!.subject).toBe('Team');
  });

  test('metadata and the participating list answer the same group', async () => {
    const meta = await client.sock.groupMetadata(gid);
    expect(meta.size).toBe(3);
    expect(meta.owner && areJidsSameUser(meta.owner, sim.account(ME).lidJid)).toBe(true);
    const all = await client.sock.groupFetchAllParticipating();
    expect(Object.keys(all)).toContain(gid);
  });

  test('participants: add, promote, demote, remove, each in the truth and as group-participants.update', async () => {
    for (const [action, expected] of [
      ['add', [ANA, BRUNO, CARLA, ME]],
      ['promote', [ANA, BRUNO, CARLA, ME]],
      ['demote', [ANA, BRUNO, CARLA, ME]],
      ['remove', [ANA, BRUNO, ME]]
    ] as const) {
      const mark = client.mark;
      const [result] = await client.sock.groupParticipantsUpdate(gid, [pn(CARLA)], action);
      expect(result?.status).toBe('200');
      const view = sim.group(ME, gid);
      expect(phonesOf(view)).toEqual([...expected].sort());
      if (action === 'promote') expect(view.participants.find(p => p.phone === CARLA)?.role).toBe('admin');
      if (action === 'demote') expect(view.participants.find(p => p.phone === CARLA)?.role).toBeNull();
      const update = await client.waitFor('group-participants.update', u => u.id === gid && u.action === action, { since: mark });
      expect(update.participants.map(p => p.phoneNumber)).toEqual([pn(CARLA)]);
    }
  });

  test('participants: one already in the group is refused per participant (409), the rest go through', async () => {
    const results = await client.sock.groupParticipantsUpdate(gid, [pn(ANA), pn(DANI)], 'add');
    expect(results.map(r => r.status)).toEqual(['409', '200']);
    expect(phonesOf(sim.group(ME, gid))).toContain(DANI);
    await client.sock.groupParticipantsUpdate(gid, [pn(DANI)], 'remove');
  });

  test('subject, description and settings change the truth and come back as groups.update', async () => {
    let mark = client.mark;
    await client.sock.groupUpdateSubject(gid, 'Team 2');
    expect(sim.group(ME, gid).subject).toBe('Team 2');
    await client.waitFor('groups.update', u => u.some(x => x.id === gid && x.subject === 'Team 2'), { since: mark });

    mark = client.mark;
    await client.sock.groupUpdateDescription(gid, 'what we do');
    expect(sim.group(ME, gid).description).toBe('what we do');
    await client.waitFor('groups.update', u => u.some(x => x.id === gid && x.desc === 'what we do'), { since: mark });

    mark = client.mark;
    await client.sock.groupSettingUpdate(gid, 'announcement');
    await client.sock.groupSettingUpdate(gid, 'locked');
    expect(sim.group(ME, gid)).toMatchObject({ announce: true, restrict: true });
    await client.waitFor('groups.update', u => u.some(x => x.id === gid && x.restrict === true), { since: mark });
    await client.sock.groupSettingUpdate(gid, 'not_announcement');
    await client.sock.groupSettingUpdate(gid, 'unlocked');
    expect(sim.group(ME, gid)).toMatchObject({ announce: false, restrict: false });
    const meta = await client.sock.groupMetadata(gid);
    expect(meta).toMatchObject({ subject: 'Team 2', desc: 'what we do', announce: false, restrict: false });
  });

  test('invite code: get answers the truth, revoke replaces it', async () => {
    const code = await client.sock.groupInviteCode(gid);
    expect(code).toBe(sim.group(ME, gid).inviteCode);
    const fresh = await client.sock.groupRevokeInvite(gid);
    expect(fresh).not.toBe(code);
    expect(sim.group(ME, gid).inviteCode).toBe(fresh);
  });
});

describe('groups others manage', () => {
  let gid: string;

  test('a contact creates a group with the account in it: groups.upsert with the contact as superadmin', async () => {
    const mark = client.mark;
    const view = await sim.createGroup(ME, { subject: 'Ana’s group', participants: [BRUNO, CARLA], by: ANA });
    gid = view.id;
    const [group] = await client.waitFor('groups.upsert', g => g.some(x => x.id === gid), { since: mark });
    expect(group!.participants.find(p => p.phoneNumber === pn(ANA))?.admin).toBe('superadmin');
    expect(group!.participants.map(p => p.phoneNumber).sort()).toEqual([ANA, BRUNO, CARLA, ME].map(pn).sort());
  });

  test('the account is a plain member: changing members is refused with 403, and nothing changes', async () => {
    expect(await refusal(client.sock.groupParticipantsUpdate(gid, [pn(DANI)], 'add'))).toBe(403);
    expect(phonesOf(sim.group(ME, gid))).not.toContain(DANI);
    expect(await refusal(client.sock.groupMetadata('120363999999999999@g.us'))).toBe(404);
  });

  test('changes by the admin reach the client as events', async () => {
    let mark = client.mark;
    await sim.groupParticipants(ME, gid, { action: 'add', participants: [DANI], by: ANA });
    const added = await client.waitFor('group-participants.update', u => u.id === gid && u.action === 'add', { since: mark });
    expect(added.participants.map(p => p.phoneNumber)).toEqual([pn(DANI)]);
    expect(jidNormalizedUser(added.author)).toBe(sim.account(ME).listContacts().find(c => c.phone === ANA)!.lidJid);
    mark = client.mark;
    await sim.groupSubject(ME, gid, { subject: 'Renamed', by: ANA });
    await client.waitFor('groups.update', u => u.some(x => x.id === gid && x.subject === 'Renamed'), { since: mark });
  });

  test('leave, then join again by the invite code', async () => {
    await client.sock.groupLeave(gid);
    expect(phonesOf(sim.group(ME, gid))).not.toContain(ME);
    expect(await refusal(client.sock.groupMetadata(gid))).toBe(403);
    const joined = await client.sock.groupAcceptInvite(sim.group(ME, gid).inviteCode);
    expect(joined).toBe(gid);
    expect(phonesOf(sim.group(ME, gid))).toContain(ME);
    expect(await refusal(client.sock.groupAcceptInvite('notacode'))).toBe(406);
  });

  test('messages from three members arrive decrypted with their sender keys, twice each (with and without the key)', async () => {
    const lids = new Map(sim.account(ME).listContacts().map(c => [c.phone, c.lidJid]));
    for (const round of [1, 2]) {
      for (const from of [ANA, BRUNO, CARLA]) {
        const mark = client.mark;
        const text = `round ${round} from ${from}`;
        const { messageId } = await sim.groupMessage(ME, gid, from, text);
        const upsert = await client.waitFor('messages.upsert', u => u.messages.some(m => m.key.id === messageId), { since: mark });
        const msg = upsert.messages.find(m => m.key.id === messageId)!;
        expect(msg.messageStubType ?? null).toBeNull();
        expect(textOf(msg)).toBe(text);
        expect(msg.key.remoteJid).toBe(gid);
        expect(msg.key.participant).toBe(lids.get(from));
        expect(msg.key.participantAlt).toBe(pn(from));
      }
    }
  });

  test('a send to the group is decrypted by every member; one added after it reads the next', async () => {
    const first = await client.sock.sendMessage(gid, { text: 'hello group' });
    await waitUntil(() => sim.outbox(ME).some(e => e.id === first!.key.id));
    const entry = sim.outbox(ME).find(e => e.id === first!.key.id)!;
    expect(entry).toMatchObject({ group: gid, to: gid, text: 'hello group' });
    expect([...entry.participants!].sort()).toEqual([ANA, BRUNO, CARLA, DANI].sort());

    await sim.groupParticipants(ME, gid, { action: 'remove', participants: [DANI], by: ANA });
    const second = await client.sock.sendMessage(gid, { text: 'without Dani' });
    await waitUntil(() => sim.outbox(ME).some(e => e.id === second!.key.id));
    expect([...sim.outbox(ME).find(e => e.id === second!.key.id)!.participants!].sort()).toEqual([ANA, BRUNO, CARLA].sort());

    // Baileys itself keeps its sender key after a removal: Dani could read the send with the key it kept.
    expect(sim.outbox(ME).find(e => e.id === second!.key.id)!.readableByFormer).toEqual([DANI]);

    await sim.groupParticipants(ME, gid, { action: 'add', participants: [DANI], by: ANA });
    const third = await client.sock.sendMessage(gid, { text: 'Dani is back' });
    await waitUntil(() => sim.outbox(ME).some(e => e.id === third!.key.id));
    expect([...sim.outbox(ME).find(e => e.id === third!.key.id)!.participants!].sort()).toEqual([ANA, BRUNO, CARLA, DANI].sort());
  });

  test('after a removal the members left start new sender keys, and the client reads with the new one', async () => {
    await sim.groupParticipants(ME, gid, { action: 'remove', participants: [DANI], by: ANA });
    const mark = client.mark;
    const { messageId } = await sim.groupMessage(ME, gid, ANA, 'after Dani left');
    const upsert = await client.waitFor('messages.upsert', u => u.messages.some(m => m.key.id === messageId), { since: mark });
    expect(textOf(upsert.messages.find(m => m.key.id === messageId)!)).toBe('after Dani left');
  });
});
