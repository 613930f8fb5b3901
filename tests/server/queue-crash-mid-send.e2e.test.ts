import { ADMIN_KEY, EventClient, hubClient } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { simControl, spawnHub, spawnSimulator, unreadBytesOnPort, type Spawned } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * The crash the queue's durability is for, driven for real: the hub and the
 * simulator each in its own process; the simulator is frozen (SIGSTOP) so a
 * send is on the wire with no answer, the hub is killed (SIGKILL), the
 * simulator goes on (SIGCONT) and the hub starts again on the same database.
 */
const PHONE = '5571950000001';
const RESEND_TO = '5571950000101';
const SKIP_TO = '5571950000102';
const jid = (n: string) => `${n}@s.whatsapp.net`;
/** Fewer bytes than a message stanza, more than anything else a quiet client writes. */
const STANZA_BYTES = 400;

let sim: Awaited<ReturnType<typeof spawnSimulator>>;
let control: ReturnType<typeof simControl>;
let dir: ReturnType<typeof tempDir>;
let hub: Spawned | undefined;
let token: string;
const clients: EventClient[] = [];

const startHubProcess = () => spawnHub(dir.path, sim, ADMIN_KEY, { RATE_LIMIT_PER_SECOND: '0' });
const api = () => hubClient(hub!.vars.WAHUB_URL!);

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 20));
  }
}

const recipientOf = async (queueId: string) => {
  const res = await api().request('GET', `/queue/get/crash?queueId=${queueId}`, undefined, token);
  return res.json.recipients?.[0] as { jid: string | null; state: string; messageId: string | null; attempts: number } | undefined;
};

beforeAll(async () => {
  sim = await spawnSimulator();
  control = simControl(sim.controlUrl);
  await control.call('POST', '/accounts', { phone: PHONE, history: { chats: [] } });
  // No receipts: the hub's acks of them would be bytes on the wire too, and only the stanza may be.
  for (const from of [RESEND_TO, SKIP_TO]) await control.call('POST', `/accounts/${PHONE}/receipts`, { from, mode: 'none' });
  dir = tempDir('wahub-crash-mid-send-');
  hub = await startHubProcess();
  const paired = await pairInstance(api(), control, 'crash', PHONE);
  token = paired.token;
  clients.push(paired.client);
});
afterAll(async () => {
  clients.forEach(c => c.close());
  sim.child.kill('SIGCONT');
  await hub?.stop('SIGKILL');
  await sim.stop();
  dir.cleanup();
});

/** Starts a one-recipient queue, freezes the simulator once the stanza is on the wire, kills the hub, thaws the simulator. */
async function crashMidSend(to: string, text: string, onUncertain: 'resend' | 'skip'): Promise<{ queueId: string; messageId: string; lastSeq: number }> {
  const client = clients.at(-1)!;
  // A first message from this hub process: Baileys then holds the contact's devices (in memory) and
  // Signal session, so the queue's send is one stanza with no query before it (a frozen server answers none).
  const warmUp = `warm-up ${text}`;
  expect(await client.emit('message.sendText', { instance: 'crash', number: to, text: warmUp })).toMatchObject({ ok: true });
  await until('the warm-up message', async () => ((await control.outbox(PHONE)).some(o => o.text === warmUp) ? true : undefined));
  // The number check runs at once; the pause before the send leaves time to freeze the simulator after it.
  const created = await api().request('POST', '/message/sendBulk/crash', { numbers: [to], message: { text }, options: { minDelayMs: 1500, maxDelayMs: 1500, onUncertain } }, token);
  expect(created.status).toBe(201);
  const { queueId } = created.json as { queueId: string };
  await until('the number check', async () => ((await recipientOf(queueId))?.jid ? true : undefined));
  const simPort = Number(new URL(sim.url).port);
  sim.child.kill('SIGSTOP');
  try {
    // Measured once frozen: whatever arrives from here on waits unread.
    const before = await unreadBytesOnPort(simPort);
    const sending = await until('the recipient to be sending', async () => {
      const r = await recipientOf(queueId);
      return r?.state === 'sending' ? r : undefined;
    });
    // The stanza is written when it sits unread in the frozen simulator's socket. A message to a
    // contact and the own phone is most of a kilobyte; a keep-alive ping or an ack is tens of bytes.
    await until('the stanza on the wire', async () => ((await unreadBytesOnPort(simPort)) - before >= STANZA_BYTES ? true : undefined));
    const lastSeq = client.events.at(-1)!.seq;
    await hub!.stop('SIGKILL');
    return { queueId, messageId: sending.messageId!, lastSeq };
  } finally {
    sim.child.kill('SIGCONT');
  }
}

async function restartAndSubscribe(lastSeq: number): Promise<EventClient> {
  hub = await startHubProcess();
  const again = new EventClient(hub.vars.WAHUB_URL!, token);
  clients.push(again);
  await again.connected();
  expect(await again.emit('subscribe', { instance: 'crash', after: lastSeq })).toMatchObject({ ok: true });
  return again;
}

test('killed while WhatsApp had not answered a send: after the restart it goes again with the same ID, the contact shows it once, the outbox shows the repeat', async () => {
  const { queueId, messageId, lastSeq } = await crashMidSend(RESEND_TO, 'in flight', 'resend');
  // The frozen simulator read the first copy once it went on.
  const first = await until('the first copy', async () => (await control.outbox(PHONE)).find(o => o.text === 'in flight'));
  expect(first).toMatchObject({ id: messageId, to: jid(RESEND_TO), repeat: false });

  const client = await restartAndSubscribe(lastSeq);
  const processing = await client.waitFor('send.message:PROCESSING', e => e.data.queue.queueId === queueId, 60_000);
  expect(processing.data.queue).toMatchObject({ messageId, jid: jid(RESEND_TO), progress: 100 });
  await client.waitFor('send.message:COMPLETED', e => e.data.queue.queueId === queueId, 20_000);

  const copies = await until('the repeat', async () => {
    const c = (await control.outbox(PHONE)).filter(o => o.text === 'in flight');
    return c.length === 2 ? c : undefined;
  });
  expect(copies.map(c => ({ id: c.id, to: c.to, repeat: c.repeat }))).toEqual([
    { id: messageId, to: jid(RESEND_TO), repeat: false },
    { id: messageId, to: jid(RESEND_TO), repeat: true }
  ]);
  expect(await recipientOf(queueId)).toMatchObject({ state: 'sent', messageId, attempts: 2 });
});

test('the same crash with onUncertain "skip": the recipient is reported unknown (409) and not sent again', async () => {
  const { queueId, messageId, lastSeq } = await crashMidSend(SKIP_TO, 'at most once', 'skip');
  await until('the first copy', async () => (await control.outbox(PHONE)).find(o => o.text === 'at most once'));

  const client = await restartAndSubscribe(lastSeq);
  const error = await client.waitFor('send.message:ERROR', e => e.data.queueId === queueId, 60_000);
  expect(error.data).toMatchObject({ number: SKIP_TO, jid: jid(SKIP_TO), status: 409, error: 'Conflict' });
  await client.waitFor('send.message:COMPLETED', e => e.data.queue.queueId === queueId, 20_000);
  expect(await recipientOf(queueId)).toMatchObject({ state: 'unknown', messageId, attempts: 1 });

  // A later message on the same connection: once it is in, anything the hub sent before it would be too.
  const barrier = await client.emit('message.sendText', { instance: 'crash', number: SKIP_TO, text: 'barrier' });
  expect(barrier.ok).toBe(true);
  await until('the barrier', async () => ((await control.outbox(PHONE)).some(o => o.text === 'barrier') ? true : undefined));
  expect((await control.outbox(PHONE)).filter(o => o.text === 'at most once').map(o => ({ id: o.id, repeat: o.repeat }))).toEqual([{ id: messageId, repeat: false }]);
});
