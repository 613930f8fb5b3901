import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { ADMIN_KEY, startHub, type EventClient, type TestHub } from '../helpers/hub.js';
import { family, histogramCount, scrape, value } from '../helpers/metrics.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const METRICS_TOKEN = 'scraper-token-0123456789abcdef';
const PHONE = '5541900000700';
const CONTACT = '5541900000701';
let sim: WhatsAppSimulator;
let hub: TestHub;
let token: string;
let client: EventClient;

beforeAll(async () => {
  sim = await startSimulator();
  hub = await startHub(sim, { env: { METRICS_TOKEN, WEBHOOK_MAX_ATTEMPTS: '2', WEBHOOK_BACKOFF_BASE_MS: '50', WEBHOOK_BACKOFF_MAX_MS: '100' } });
  sim.createAccount({ phone: PHONE, contacts: [{ phone: CONTACT }] });
  sim.createAccount({ phone: CONTACT, contacts: [{ phone: PHONE }] });
  ({ token, client } = await pairInstance(hub, sim, 'metered', PHONE));
});
afterAll(async () => {
  client?.close();
  await hub.close();
  await sim.stop();
});

const asAdmin = () => scrape(hub.url, { apikey: ADMIN_KEY });

/** Scrapes until `cond` holds on the parsed metrics; the last scrape is returned. */
async function scrapeUntil(cond: (m: Awaited<ReturnType<typeof asAdmin>>['families']) => boolean, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const m = await asAdmin();
    if (cond(m.families) || Date.now() > end) return m.families;
    await new Promise(r => setTimeout(r, 50));
  }
}

describe('GET /metrics authorization', () => {
  it('is 401 without a credential or with one that opens nothing', async () => {
    expect((await scrape(hub.url, {})).status).toBe(401);
    expect((await scrape(hub.url, { authorization: 'Bearer not-a-known-token-at-all' })).status).toBe(401);
    expect((await scrape(hub.url, { apikey: 'not-a-known-token-at-all' })).status).toBe(401);
  });

  it('is 403 for an instance token: a known caller that may not read every instance', async () => {
    const res = await scrape(hub.url, { apikey: token });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({ status: 403 });
  });

  it('opens to the admin key and to METRICS_TOKEN, as a bearer token or the apikey header', async () => {
    const credentials: Record<string, string>[] = [{ apikey: ADMIN_KEY }, { authorization: `Bearer ${ADMIN_KEY}` }, { authorization: `Bearer ${METRICS_TOKEN}` }];
    for (const headers of credentials) {
      const res = await scrape(hub.url, headers);
      expect(res.status).toBe(200);
      expect(res.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    }
  });

  it('does not let METRICS_TOKEN run commands', async () => {
    expect((await hub.request('GET', '/instance/fetchInstances', undefined, METRICS_TOKEN)).status).toBe(401);
  });
});

describe('metrics', () => {
  it('carries the default process metrics and every hub family with its type', async () => {
    const { families } = await asAdmin();
    expect(value(families, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    const types = Object.fromEntries(families.filter(f => f.name.startsWith('wahub_')).map(f => [f.name, f.type]));
    expect(types).toEqual({
      wahub_events_committed_total: 'COUNTER',
      wahub_event_commit_seconds: 'HISTOGRAM',
      wahub_send_seconds: 'HISTOGRAM',
      wahub_reconnects_total: 'COUNTER',
      wahub_instances: 'GAUGE',
      wahub_socket_clients: 'GAUGE',
      wahub_subscriptions: 'GAUGE',
      wahub_clients_dropped_too_slow_total: 'COUNTER',
      wahub_queue_recipients: 'GAUGE',
      wahub_wa_version: 'GAUGE',
      wahub_webhooks: 'GAUGE',
      wahub_webhook_lag_events: 'GAUGE',
      wahub_webhook_dead_letters: 'GAUGE'
    });
  });

  it('counts the paired instance, its subscriber and what it follows', async () => {
    const { families } = await asAdmin();
    expect(value(families, 'wahub_instances', { state: 'open' })).toBe(1);
    expect(value(families, 'wahub_socket_clients', { transport: 'socket.io' })).toBe(1);
    expect(value(families, 'wahub_socket_clients', { transport: 'websocket' })).toBe(0);
    expect(value(families, 'wahub_subscriptions')).toBe(1);
    expect(value(families, 'wahub_clients_dropped_too_slow_total', { transport: 'websocket' })).toBe(0);
    // Every state is a series from the start, at 0 when empty.
    const series = (name: string) => Object.fromEntries(family(families, name).metrics.map(s => [s.labels!.state, Number(s.value)]));
    expect(series('wahub_instances')).toEqual({ connecting: 0, qr: 0, open: 1, close: 0, refused: 0 });
    expect(series('wahub_queue_recipients')).toEqual({ pending: 0, sending: 0, sent: 0, failed: 0, unknown: 0 });
  });

  it('moves when messages arrive: events by name and commit latency', async () => {
    const before = (await asAdmin()).families;
    const countedBefore = value(before, 'wahub_events_committed_total', { event: 'new.message' });
    const ids: string[] = [];
    for (const text of ['one', 'two', 'three']) ids.push((await sim.sendText(PHONE, CONTACT, `metrics ${text}`)).messageId);
    await waitUntil(() => ids.every(id => client.of('new.message').some(e => e.data.header.messageId === id)), 20_000);
    const after = (await asAdmin()).families;
    // Every stored event reached this subscriber before the scrape (delivery is synchronous with the commit).
    const delivered = client.of('new.message').length;
    expect(value(after, 'wahub_events_committed_total', { event: 'new.message' })).toBe(delivered);
    expect(value(after, 'wahub_events_committed_total', { event: 'new.message' }) - countedBefore).toBe(3);
    expect(histogramCount(after, 'wahub_event_commit_seconds')).toBeGreaterThan(histogramCount(before, 'wahub_event_commit_seconds'));
  });

  it('reports lastEventAt and lastSendAt as null for an instance that did nothing yet', async () => {
    expect((await hub.request('POST', '/instance/create', { instanceName: 'idle' })).status).toBe(201);
    const state = await hub.request('GET', '/instance/connectionState/idle');
    expect(state.json).toMatchObject({ state: 'close', lastEventAt: null, lastSendAt: null });
    expect(value((await asAdmin()).families, 'wahub_instances', { state: 'close' })).toBe(1);
    expect((await hub.request('DELETE', '/instance/delete/idle')).status).toBe(200);
  });

  it('times a send and stamps lastEventAt and lastSendAt in instance.state', async () => {
    const before = (await asAdmin()).families;
    const start = Date.now();
    const sent = await hub.request('POST', '/message/sendText/metered', { number: CONTACT, text: 'timed' }, token);
    expect(sent.status).toBe(201);
    const after = (await asAdmin()).families;
    expect(histogramCount(after, 'wahub_send_seconds')).toBe(histogramCount(before, 'wahub_send_seconds') + 1);
    const state = await hub.request('GET', '/instance/connectionState/metered', undefined, token);
    expect(state.json.lastSendAt).toBeGreaterThanOrEqual(start);
    expect(state.json.lastSendAt).toBeLessThanOrEqual(Date.now());
    const lastEnvelope = client.events[client.events.length - 1]!;
    expect(state.json.lastEventAt).toBeGreaterThanOrEqual(lastEnvelope.timestamp);
  });

  it('counts bulk recipients by state and times each bulk send', async () => {
    const sendsBefore = histogramCount((await asAdmin()).families, 'wahub_send_seconds');
    const created = await hub.request('POST', '/message/sendBulk/metered', { numbers: [CONTACT, CONTACT], message: { text: 'bulk' }, options: { minDelayMs: 0, maxDelayMs: 0 } }, token);
    expect(created.status).toBe(201);
    const after = await scrapeUntil(m => value(m, 'wahub_queue_recipients', { state: 'sent' }) === 2);
    expect(value(after, 'wahub_queue_recipients', { state: 'sent' })).toBe(2);
    expect(value(after, 'wahub_queue_recipients', { state: 'pending' })).toBe(0);
    expect(histogramCount(after, 'wahub_send_seconds')).toBe(sendsBefore + 2);
  });

  it('counts a reconnect under the close code the instance reported', async () => {
    const closesBefore = client.of('connection.update').filter(e => e.data.state === 'close').length;
    sim.kick(PHONE, 'drop');
    await client.waitFor('connection.update', e => e.data.state === 'close' && client.of('connection.update').filter(c => c.data.state === 'close').length > closesBefore);
    const close = client.of('connection.update').filter(e => e.data.state === 'close').at(-1)!;
    const after = await scrapeUntil(m => value(m, 'wahub_reconnects_total', { code: String(close.data.statusReason) }) === 1);
    const byCode = Object.fromEntries(family(after, 'wahub_reconnects_total').metrics.map(s => [s.labels!.code, Number(s.value)]));
    // 515 is WhatsApp's restart request right after pairing; the drop adds its own close code.
    expect(byCode).toEqual({ '515': 1, [String(close.data.statusReason)]: 1 });
    await client.waitFor('connection.update', e => e.seq > close.seq && e.data.state === 'open');
  });
});

describe('webhook metrics', () => {
  it('show a webhook ok at no lag, failing with a dead letter once its receiver refused, and ok at no lag after the redelivery', async () => {
    const receiver = await new WebhookReceiver().start();
    try {
      receiver.answer = () => ({ status: 500 });
      const set = await hub.request('POST', '/webhook/set/metered', { url: receiver.url, events: ['new.message'] }, ADMIN_KEY);
      expect(set.status).toBe(201);
      receiver.secret = set.json.secret;
      const id = set.json.webhook.id as string;
      const before = await asAdmin();
      expect(value(before.families, 'wahub_webhooks', { status: 'ok' })).toBe(1);
      expect(value(before.families, 'wahub_webhook_lag_events')).toBe(0);

      await sim.sendText(PHONE, CONTACT, 'for the webhook');
      const failing = await scrapeUntil(m => value(m, 'wahub_webhooks', { status: 'failing' }) === 1, 30_000);
      expect(value(failing, 'wahub_webhook_dead_letters')).toBe(1);

      receiver.answer = () => ({ status: 200 });
      const from = receiver.received[0]!.envelope.seq;
      expect((await hub.request('POST', '/webhook/redeliver/metered', { id, fromSeq: from }, ADMIN_KEY)).status).toBeLessThan(300);
      const healed = await scrapeUntil(m => value(m, 'wahub_webhooks', { status: 'ok' }) === 1 && value(m, 'wahub_webhook_lag_events') === 0, 30_000);
      expect(value(healed, 'wahub_webhook_dead_letters')).toBe(0);
      expect(value(healed, 'wahub_webhooks', { status: 'failing' })).toBe(0);
    } finally {
      await receiver.stop();
    }
  });
});
