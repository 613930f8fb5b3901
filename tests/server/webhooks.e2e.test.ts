import type { EventEnvelope } from '../../protocol/index.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { AnyTransport, TRANSPORTS } from '../helpers/any-transport.js';
import { ADMIN_KEY, type EventClient, startHub, type TestHub } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';
import { seqRange, WebhookReceiver } from '../helpers/webhook-receiver.js';

const PHONE = '5561900000001';
const CONTACT = '5561900000010';
const NAME = 'hooks';
let sim: WhatsAppSimulator;
let hub: TestHub;
let admin: AnyTransport;
let owner: AnyTransport;
let events: EventClient;
let instanceId: string;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, contacts: [{ phone: CONTACT, pushName: 'Bia' }], history: { chats: [] } });
  // Retries in milliseconds rather than seconds, so a test sees many of them.
  hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '0', WEBHOOK_BACKOFF_BASE_MS: '20', WEBHOOK_BACKOFF_MAX_MS: '200' } });
  const paired = await pairInstance(hub, sim, NAME, PHONE);
  events = paired.client;
  admin = await AnyTransport.open(hub.url, ADMIN_KEY);
  owner = await AnyTransport.open(hub.url, paired.token);
  instanceId = (await hub.request('GET', `/instance/connectionState/${NAME}`)).json.id;
});
afterAll(async () => {
  await Promise.all(receivers.map(r => r.stop()));
  events?.close();
  admin?.close();
  owner?.close();
  await hub.close();
  await sim.stop();
});

async function receiver(): Promise<WebhookReceiver> {
  const r = await new WebhookReceiver().start();
  receivers.push(r);
  return r;
}

/** Points a new webhook (as the admin) at the receiver; answers its id and the seq it starts after. */
async function hook(r: WebhookReceiver, extra: Record<string, unknown> = {}): Promise<{ id: string; start: number }> {
  const set = await admin.call('rest', 'webhook.set', { instance: NAME, url: r.url, ...extra });
  if (!set.ok) throw new Error(JSON.stringify(set.error));
  r.secret = set.data!.secret;
  return { id: set.data!.webhook.id, start: hub.app.storage.webhooks.get(set.data!.webhook.id)!.cursor };
}

/** Inbound texts from the contact; answers the seq of the last one's new.message. */
async function inbound(tag: string, n: number): Promise<number[]> {
  const seqs: number[] = [];
  for (let i = 0; i < n; i++) {
    const { messageId } = await sim.sendText(PHONE, CONTACT, `${tag} ${i}`);
    seqs.push((await events.waitFor('new.message', e => e.data.header.messageId === messageId)).seq);
  }
  return seqs;
}

const find = async (id: string) => (await admin.call('rest', 'webhook.find', { instance: NAME })).data!.find(w => w.id === id);

/** Every seq from after `start` to `last` was acknowledged, in order, each POST signed and carrying its own seq. */
function expectEverySeqInOrder(r: WebhookReceiver, start: number, last: number): void {
  expect(r.problems).toEqual([]);
  expect(r.acknowledgedSeqs().filter(s => s <= last)).toEqual(seqRange(start + 1, last));
  const posted = r.received.map(p => p.envelope.seq);
  expect(posted).toEqual([...posted].sort((a, b) => a - b));
  for (const p of r.received) expect(p.delivery).toBe(`${instanceId}:${p.envelope.seq}`);
}

const deleteHook = (id: string) => admin.call('rest', 'webhook.delete', { instance: NAME, id });

describe.each(TRANSPORTS)('commands over %s', transport => {
  test('webhook.set answers the webhook and a whsec_ secret, find lists it, delete removes it, a bad URL is a 400', async () => {
    const r = await receiver();
    const set = await admin.call(transport, 'webhook.set', { instance: NAME, url: r.url, events: ['new.message'] });
    expect(set).toMatchObject({ ok: true, data: { webhook: { id: expect.any(String), url: r.url, events: ['new.message'], enabled: true, status: 'ok' } } });
    if (transport === 'rest') expect(set.httpStatus).toBe(201);
    const secret = set.data!.secret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    const id = set.data!.webhook.id;

    const found = await admin.call(transport, 'webhook.find', { instance: NAME });
    expect(found.data!.find(w => w.id === id)).toEqual({
      id,
      url: r.url,
      events: ['new.message'],
      enabled: true,
      status: 'ok',
      global: false,
      lastError: null,
      lastDeliveredSeq: hub.app.storage.events.lastSeq(instanceId),
      pending: 0
    });
    // A second webhook on the same instance is its own row.
    const other = await admin.call(transport, 'webhook.set', { instance: NAME, url: `${r.url}/other`, secret: 'a-secret-of-my-own-0123' });
    expect(other).toMatchObject({ ok: true, data: { secret: 'a-secret-of-my-own-0123', webhook: { events: null } } });

    for (const url of ['not a url', 'ftp://example.com/hook', 'http://user:pass@example.com/']) {
      const bad = await admin.call(transport, 'webhook.set', { instance: NAME, url });
      expect(bad).toMatchObject({ ok: false, error: { status: 400, error: 'Bad Request', message: expect.stringContaining('url') } });
    }
    expect(await admin.call(transport, 'webhook.set', { instance: NAME, url: r.url, events: ['no.such.event'] })).toMatchObject({ ok: false, error: { status: 400 } });

    expect(await admin.call(transport, 'webhook.delete', { instance: NAME, id })).toMatchObject({ ok: true, data: { deleted: id } });
    expect(await admin.call(transport, 'webhook.delete', { instance: NAME, id })).toMatchObject({ ok: false, error: { status: 404 } });
    expect(await deleteHook(other.data!.webhook.id)).toMatchObject({ ok: true });
    const after = await admin.call(transport, 'webhook.find', { instance: NAME });
    expect(after.data!.map(w => w.id)).not.toContain(id);
  });

  test('an instance token may not point a webhook at loopback, private or link-local addresses; the admin key may', async () => {
    for (const url of ['http://127.0.0.1:9/hook', 'http://localhost:9/hook', 'http://10.1.2.3/', 'http://192.168.0.10/', 'http://169.254.169.254/latest', 'http://[::1]:9/', 'http://[::ffff:127.0.0.1]/']) {
      const refused = await owner.call(transport, 'webhook.set', { instance: NAME, url });
      expect(refused).toMatchObject({ ok: false, error: { status: 400, message: expect.stringContaining('private') } });
    }
    const publicHook = await owner.call(transport, 'webhook.set', { instance: NAME, url: 'http://93.184.216.34/hook' });
    expect(publicHook).toMatchObject({ ok: true });
    expect(await deleteHook(publicHook.data!.webhook.id)).toMatchObject({ ok: true });
    const byAdmin = await admin.call(transport, 'webhook.set', { instance: NAME, url: 'http://127.0.0.1:9/admin-only' });
    expect(byAdmin).toMatchObject({ ok: true });
    expect(await deleteHook(byAdmin.data!.webhook.id)).toMatchObject({ ok: true });
  });
});

test('five 500s then 200: every seq arrives in order, repeats only of the event in flight, with its one x-wahub-delivery', async () => {
  const r = await receiver();
  let failures = 0;
  r.answer = () => ({ status: failures++ < 5 ? 500 : 200 });
  const { id, start } = await hook(r);
  const seqs = await inbound('five 500s', 4);
  const last = seqs.at(-1)!;
  await waitUntil(() => r.acknowledgedSeqs().includes(last), 15_000);
  expectEverySeqInOrder(r, start, last);
  // One in flight: the five refusals are all of the first event, before anything after it was tried.
  expect(r.received.slice(0, 6).map(p => [p.envelope.seq, p.status])).toEqual([...Array(5).fill([start + 1, 500]), [start + 1, 200]]);
  await waitUntil(() => hub.app.storage.webhooks.get(id)!.status === 'ok');
  expect(await find(id)).toMatchObject({ status: 'ok', lastError: null });
  await deleteHook(id);
});

test('event filters: a webhook gets only the events it names, and its cursor passes the others', async () => {
  const all = await receiver();
  const chats = await receiver();
  const messages = await receiver();
  const everything = await hook(all);
  const chatHook = await hook(chats, { events: ['chats.update'] });
  const messageHook = await hook(messages, { events: ['new.message'] });
  const [messageSeq] = await inbound('filtered', 1);
  expect(await admin.call('rest', 'chat.archive', { instance: NAME, number: CONTACT, archive: true })).toMatchObject({ ok: true });
  const archived = await events.waitFor('chats.update', e => e.seq > messageSeq!);
  const last = Math.max(archived.seq, messageSeq!);
  await waitUntil(() => all.acknowledgedSeqs().includes(last) && chats.acknowledgedSeqs().includes(archived.seq) && messages.acknowledgedSeqs().includes(messageSeq!), 10_000);

  expectEverySeqInOrder(all, everything.start, last);
  const between = (r: WebhookReceiver) => r.acknowledged().filter(p => p.envelope.seq <= last);
  expect(new Set(between(chats).map(p => p.event))).toEqual(new Set(['chats.update']));
  expect(new Set(between(messages).map(p => p.event))).toEqual(new Set(['new.message']));
  const expected = (name: EventEnvelope['event'], start: number) => events.of(name).filter(e => e.seq > start && e.seq <= last).map(e => e.seq);
  expect(chats.acknowledgedSeqs().filter(s => s <= last)).toEqual(expected('chats.update', chatHook.start));
  expect(messages.acknowledgedSeqs().filter(s => s <= last)).toEqual(expected('new.message', messageHook.start));
  for (const r of [all, chats, messages]) expect(r.problems).toEqual([]);

  // Nothing left for the filtered ones: their cursors went past what they do not take.
  await waitUntil(() => hub.app.storage.webhooks.get(messageHook.id)!.cursor >= last);
  expect(await find(messageHook.id)).toMatchObject({ pending: 0, status: 'ok' });
  await Promise.all([everything, chatHook, messageHook].map(h => deleteHook(h.id)));
});

test('a receiver that goes down and comes back gets every seq, in order, none lost', async () => {
  const r = await receiver();
  const { id, start } = await hook(r);
  await r.stop();
  const seqs = await inbound('receiver down', 3);
  await waitUntil(() => hub.app.storage.webhooks.get(id)!.status === 'retrying' && hub.app.storage.webhooks.get(id)!.attempts >= 3, 10_000);
  expect(await find(id)).toMatchObject({ status: 'retrying', lastError: expect.stringMatching(/ECONNREFUSED/), lastDeliveredSeq: start, pending: expect.any(Number) });
  expect((await find(id))!.pending).toBeGreaterThanOrEqual(3);
  expect(r.received).toEqual([]);

  await r.start();
  const last = seqs.at(-1)!;
  await waitUntil(() => r.acknowledgedSeqs().includes(last), 10_000);
  expectEverySeqInOrder(r, start, last);
  await deleteHook(id);
});

test('a receiver that answers after five seconds delays neither Socket.IO nor another webhook', async () => {
  const slow = await receiver();
  const fast = await receiver();
  slow.answer = () => ({ status: 200, delayMs: 5000 });
  const slowHook = await hook(slow, { events: ['new.message'] });
  const fastHook = await hook(fast);

  const sentAt = Date.now();
  const seqs = await inbound('slow receiver', 2);
  // Both reached the socket client while the slow receiver still sat on the first POST.
  expect(Date.now() - sentAt).toBeLessThan(2500);
  expect(slow.received).toEqual([]);
  await waitUntil(() => fast.acknowledgedSeqs().includes(seqs[1]!), 2500);
  expect(slow.received).toEqual([]);

  await waitUntil(() => slow.acknowledgedSeqs().includes(seqs[1]!), 15_000);
  expect(slow.problems).toEqual([]);
  expect(slow.received.map(p => [p.envelope.seq, p.status])).toEqual(seqs.map(seq => [seq, 200]));
  expect(slow.received[1]!.at - slow.received[0]!.at).toBeGreaterThanOrEqual(4900); // one in flight, even when slow
  expectEverySeqInOrder(fast, fastHook.start, seqs[1]!);
  await Promise.all([deleteHook(slowHook.id), deleteHook(fastHook.id)]);
}, 30_000);

test('a disabled webhook holds its cursor; enabled again (webhook.set on the same URL) it delivers what it missed, in order', async () => {
  const r = await receiver();
  const { id, start } = await hook(r, { enabled: false });
  const seqs = await inbound('while disabled', 2);
  await waitUntil(() => (hub.app.storage.webhooks.get(id)?.cursor ?? -1) === start);
  const paused = await find(id);
  expect(paused).toMatchObject({ enabled: false, lastDeliveredSeq: start });
  expect(paused!.pending).toBeGreaterThanOrEqual(2);
  expect(r.received).toEqual([]);

  const again = await admin.call('socket.io', 'webhook.set', { instance: NAME, url: r.url, enabled: true });
  expect(again).toMatchObject({ ok: true, data: { webhook: { id, enabled: true }, secret: r.secret } });
  await waitUntil(() => r.acknowledgedSeqs().includes(seqs[1]!), 10_000);
  expectEverySeqInOrder(r, start, seqs[1]!);
  expect((await admin.call('rest', 'webhook.find', { instance: NAME })).data!.filter(w => w.url === r.url)).toHaveLength(1);
  await deleteHook(id);
});
