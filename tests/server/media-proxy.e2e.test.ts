import { createHash, randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import type { SimMediaFault } from '../../simulator/media-messages.js';
import { EventClient, startHub, type TestHub } from '../helpers/hub.js';
import { requireTestCa } from '../helpers/media-ca.js';
import { spawnTs, type Spawned } from '../helpers/processes.js';
import type { Tunnel } from '../helpers/proxy-server.js';
import { startSimulator } from '../helpers/simulator.js';

const ANA = '5531992000010';
const instances = [
  { name: 'via-http', phone: '5531992000001', scheme: 'http', protocol: 'http' },
  { name: 'via-socks', phone: '5531992000002', scheme: 'socks5', protocol: 'socks5' }
] as const;

let sim: WhatsAppSimulator;
let hub: TestHub;
let proxy: Spawned;
let proxyPort: number;
const tokens = new Map<string, string>();
const clients: EventClient[] = [];

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const tunnels = async (): Promise<Tunnel[]> => ((await (await fetch(`http://127.0.0.1:${proxyPort}/stats`)).json()) as { tunnels: Tunnel[] }).tunnels;

/** Creates the instance with its proxy, pairs it through it, and answers its event client. */
async function pairBehindProxy(name: string, phone: string, proxyUrl: string): Promise<EventClient> {
  const created = await hub.request('POST', '/instance/create', { instanceName: name, proxy: proxyUrl });
  expect(created.status).toBe(201);
  tokens.set(name, created.json.token);
  const io = new EventClient(hub.url, created.json.token);
  clients.push(io);
  await io.connected();
  expect((await io.emit('subscribe', { instance: name })).ok).toBe(true);
  await hub.request('GET', `/instance/connect/${name}`, undefined, created.json.token);
  const qr = await io.waitFor('qrcode.updated');
  await sim.scan(phone, qr.data.qrcode.code);
  await io.waitFor('connection.update', e => e.data.state === 'open');
  return io;
}

/** Ana sends the instance's account an image; answers the hub's path for its bytes. */
async function receive(index: number, bytes: Buffer, fault?: SimMediaFault): Promise<string> {
  const { name, phone } = instances[index]!;
  const io = clients[index]!;
  const { messageId } = await sim.sendMedia(phone, ANA, { type: 'image', base64: bytes.toString('base64'), mimetype: 'image/jpeg', ...(fault ? { fault } : {}) });
  const event = await io.waitFor('new.message', e => e.data.header.messageId === messageId);
  expect(event.instance.name).toBe(name);
  return event.data.body.media!.url;
}

async function download(name: string, path: string): Promise<{ status: number; bytes: Buffer }> {
  const res = await fetch(`${hub.url}${path}`, { headers: { apikey: tokens.get(name)! } });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}

beforeAll(async () => {
  requireTestCa();
  sim = await startSimulator();
  for (const { phone } of instances) sim.createAccount({ phone, contacts: [{ phone: ANA, pushName: 'Ana' }] });
  proxy = await spawnTs('tests/helpers/proxy-cli.ts', { PROXY_USER: 'hub', PROXY_PASS: 's3cret' }, 'PROXY_PORT');
  proxyPort = Number(proxy.vars.PROXY_PORT);
  // Lazy: each file is downloaded by the GET that asks for it, so a test knows which tunnel is its download.
  hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '0', MEDIA_DOWNLOAD: 'lazy' } });
  for (const { name, phone, scheme } of instances) await pairBehindProxy(name, phone, `${scheme}://hub:s3cret@127.0.0.1:${proxyPort}`);
});
afterAll(async () => {
  for (const io of clients) io.close();
  await hub?.close();
  await proxy?.stop();
  await sim?.stop();
});

describe.each(instances.map((inst, i) => [inst.scheme.toUpperCase(), inst, i] as const))('behind an %s proxy', (_label, inst, index) => {
  test('a received image is downloaded through the proxy, to the media host, and the stored bytes are the sent ones', async () => {
    const bytes = randomBytes(70_001);
    const path = await receive(index, bytes);
    const before = (await tunnels()).length;
    const got = await download(inst.name, path);
    expect(got.status).toBe(200);
    expect(sha256(got.bytes)).toBe(sha256(bytes));
    const opened = (await tunnels()).slice(before);
    expect(opened).toEqual([{ protocol: inst.protocol, target: sim.media.hostname, user: 'hub' }]);
    expect(hub.app.hub.media.store.has(sha256(bytes))).toBe(true);
  });

  // Baileys asks for a picture's URL with an IQ on the WhatsApp connection (its fetchAgent serves only uploads),
  // and the hub answers the URL without fetching the picture: the lookup travels the proxied socket.
  test('a profile picture is asked for over the WhatsApp connection, which is tunnelled through the proxy', async () => {
    const res = await hub.request('POST', `/chat/fetchProfilePictureUrl/${inst.name}`, { number: ANA }, tokens.get(inst.name));
    expect(res.status).toBe(200);
    expect(res.json.url).toContain(`${ANA}.png`);
    expect((await tunnels()).filter(t => t.target === new URL(sim.url).host && t.protocol === inst.protocol).length).toBeGreaterThanOrEqual(1);
  });
});

describe('files that are not what the message states are refused, and the hub keeps serving', () => {
  test.each([
    ['a wrong MAC', 'bad-mac', /MAC is wrong/],
    ['an encrypted file whose digest is not the stated fileEncSha256', 'bad-enc-sha256', /fileEncSha256/]
  ] as const)('%s: GET answers 502 with the reason and stores nothing', async (_label, fault, reason) => {
    const bytes = randomBytes(12_345);
    const path = await receive(0, bytes, fault);
    const refused = await download('via-http', path);
    expect(refused.status).toBe(502);
    expect(JSON.parse(refused.bytes.toString())).toMatchObject({ status: 502, message: expect.stringMatching(reason) });
    expect(hub.app.hub.media.store.has(sha256(bytes))).toBe(false);
    // The same hub, the same proxy: the next file comes through.
    const good = randomBytes(4_096);
    const served = await download('via-http', await receive(0, good));
    expect({ status: served.status, sha256: sha256(served.bytes) }).toEqual({ status: 200, sha256: sha256(good) });
  });

  test('a CDN that takes the request and never answers: GET answers 502 naming the wait, and the hub keeps serving', async () => {
    const path = await receive(1, randomBytes(2_000), 'stalled-cdn');
    const stalled = await download('via-socks', path);
    expect(stalled.status).toBe(502);
    expect(JSON.parse(stalled.bytes.toString()).message).toMatch(/no answer from .* within \d+ ms/);
    const good = randomBytes(3_000);
    const served = await download('via-socks', await receive(1, good));
    expect({ status: served.status, sha256: sha256(served.bytes) }).toEqual({ status: 200, sha256: sha256(good) });
  });
});

test('a proxy that refuses the download says so: wrong credentials name the 407, a dead proxy its refused connection', async () => {
  const path = await receive(0, randomBytes(5_000));
  const setProxy = (proxyUrl: string) => hub.request('POST', '/settings/set/via-http', { proxy: proxyUrl }, tokens.get('via-http'));
  expect((await setProxy(`http://hub:wrong@127.0.0.1:${proxyPort}`)).status).toBe(200);
  const refused = await download('via-http', path);
  expect(refused.status).toBe(502);
  expect(JSON.parse(refused.bytes.toString()).message).toContain('the proxy refused its credentials (HTTP 407)');

  const dead = createServer();
  await new Promise<void>(r => dead.listen(0, '127.0.0.1', r));
  const port = (dead.address() as AddressInfo).port;
  await new Promise(r => dead.close(r));
  expect((await setProxy(`http://hub:s3cret@127.0.0.1:${port}`)).status).toBe(200);
  const unreachable = await download('via-http', path);
  expect(unreachable.status).toBe(502);
  expect(JSON.parse(unreachable.bytes.toString()).message).toContain('ECONNREFUSED');
  expect(JSON.parse(unreachable.bytes.toString()).message).not.toContain('s3cret');
});
