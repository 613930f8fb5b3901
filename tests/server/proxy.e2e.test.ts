import { createServer, type AddressInfo } from 'node:net';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { EventClient, startHub, type TestHub } from '../helpers/hub.js';
import { requireTestCa } from '../helpers/media-ca.js';
import { spawnTs, type Spawned } from '../helpers/processes.js';
import type { Tunnel } from '../helpers/proxy-server.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';

const PHONE = '5531991000001';
let sim: WhatsAppSimulator;
let hub: TestHub;
let proxy: Spawned;
let proxyPort: number;
let token: string;
let io: EventClient;
let simTarget: string;

/** A loopback port nothing listens on. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>(r => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise(r => s.close(r));
  return port;
}

const tunnels = async (): Promise<Tunnel[]> => ((await (await fetch(`http://127.0.0.1:${proxyPort}/stats`)).json()) as { tunnels: Tunnel[] }).tunnels;
const toSim = async (protocol: Tunnel['protocol']) => (await tunnels()).filter(t => t.protocol === protocol && t.target === simTarget);
const state = async () => (await hub.request('GET', '/instance/connectionState/proxied', undefined, token)).json;
const setProxy = (proxy: string | null) => hub.request('POST', '/settings/set/proxied', { proxy }, token);

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE });
  simTarget = new URL(sim.url).host;
  proxy = await spawnTs('tests/helpers/proxy-cli.ts', { PROXY_USER: 'hub', PROXY_PASS: 's3cret' }, 'PROXY_PORT');
  proxyPort = Number(proxy.vars.PROXY_PORT);
  hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '0' } });
});
afterAll(async () => {
  io?.close();
  await hub.close();
  await proxy.stop();
  await sim.stop();
});

test('a malformed proxy URL is a 400 in the error shape, on create and on settings, and creates nothing', async () => {
  for (const bad of ['ftp://127.0.0.1:21', 'http://no-port.example', 'http://127.0.0.1:1/path', 'socks5://', 'not a url']) {
    const res = await hub.request('POST', '/instance/create', { instanceName: 'bad-proxy', proxy: bad });
    expect(res).toMatchObject({ status: 400, json: { status: 400, error: 'Bad Request' } });
  }
  expect((await hub.request('POST', '/instance/create', { instanceName: 'bad-proxy', proxy: 'http://127.0.0.1' })).json.message).toBe('proxy has no port');
  expect((await hub.request('GET', '/instance/fetchInstances')).json.map((i: { name: string }) => i.name)).not.toContain('bad-proxy');
});

test('instance.create with a proxy: the WhatsApp socket goes through it, and its password is never answered', async () => {
  const url = `http://hub:s3cret@127.0.0.1:${proxyPort}`;
  const created = await hub.request('POST', '/instance/create', { instanceName: 'proxied', proxy: url });
  expect(created.status).toBe(201);
  token = created.json.token;
  expect((await hub.request('GET', '/settings/find/proxied', undefined, token)).json.proxy).toBe(`http://hub:***@127.0.0.1:${proxyPort}`);
  // pairInstance creates the instance itself; this one exists, so pair it by hand.
  io = new EventClient(hub.url, token);
  await io.connected();
  await io.emit('subscribe', { instance: 'proxied' });
  await hub.request('GET', '/instance/connect/proxied', undefined, token);
  const qr = await io.waitFor('qrcode.updated');
  await sim.scan(PHONE, qr.data.qrcode.code);
  await io.waitFor('connection.update', e => e.data.state === 'open');
  // The QR connection and the one after the 515 restart: both tunnelled, with the credentials.
  const opened = await toSim('http');
  expect(opened.length).toBe(2);
  expect(opened.every(t => t.user === 'hub')).toBe(true);

  sim.kick(PHONE, 'drop');
  await waitUntil(() => sim.account(PHONE).link !== undefined && io.of('connection.update').filter(e => e.data.state === 'open').length === 2, 20_000);
  expect((await toSim('http')).length).toBe(3);
});

test('a media upload goes through the proxy as well (Baileys\' fetchAgent), not only the socket', async () => {
  requireTestCa();
  const before = (await tunnels()).length;
  const res = await hub.request(
    'POST',
    '/message/sendMedia/proxied',
    { number: '5531991000010', mediatype: 'document', media: Buffer.from('a file behind a proxy').toString('base64'), fileName: 'note.txt', mimetype: 'text/plain' },
    token
  );
  expect(res.status).toBe(201);
  const uploads = (await tunnels()).slice(before).filter(t => t.target === sim.media.hostname);
  expect(uploads.length).toBeGreaterThanOrEqual(1);
  expect(uploads.every(t => t.protocol === 'http' && t.user === 'hub')).toBe(true);
  expect(sim.uploads(PHONE).length).toBeGreaterThanOrEqual(1);
});

test('instance.settings switches the proxy live: the connection is made again through SOCKS5', async () => {
  const before = io.of('connection.update').filter(e => e.data.state === 'open').length;
  const res = await setProxy(`socks5://hub:s3cret@127.0.0.1:${proxyPort}`);
  expect(res.json.proxy).toBe(`socks5://hub:***@127.0.0.1:${proxyPort}`);
  await waitUntil(() => io.of('connection.update').filter(e => e.data.state === 'open').length > before, 20_000);
  expect(await toSim('socks5')).toEqual([{ protocol: 'socks5', target: simTarget, user: 'hub' }]);
  expect(await state()).toMatchObject({ state: 'open' });
});

test('a dead proxy gives close with a reason naming it; the hub keeps running, and removing the proxy connects directly', async () => {
  const port = await deadPort();
  const closes = io.of('connection.update').filter(e => e.data.state === 'close').length;
  await setProxy(`http://hub:s3cret@127.0.0.1:${port}`);
  await io.waitFor('connection.update', e => e.data.state === 'close' && io.of('connection.update').filter(c => c.data.state === 'close').length > closes + 1, 20_000);
  const closed = await state();
  expect(closed.state).not.toBe('open');
  expect(closed.reason).toContain(`via proxy http://hub:***@127.0.0.1:${port}`);
  expect(closed.reason).toContain('ECONNREFUSED');
  expect(closed.reason).not.toContain('s3cret');
  expect(closed.statusReason).toEqual(expect.any(Number));

  const direct = (await tunnels()).length;
  await setProxy(null);
  await waitUntil(() => io.of('connection.update').at(-1)?.data.state === 'open', 20_000);
  const now = await state();
  expect(now.state).toBe('open');
  expect(now.reason).toBeUndefined();
  expect((await tunnels()).length).toBe(direct);
});

test('wrong proxy credentials: close with the proxy\'s refusal as the reason', async () => {
  const closes = io.of('connection.update').filter(e => e.data.state === 'close').length;
  await setProxy(`http://hub:wrong@127.0.0.1:${proxyPort}`);
  await waitUntil(() => io.of('connection.update').filter(c => c.data.state === 'close').length > closes + 1, 20_000);
  const closed = await state();
  expect(closed.reason).toContain(`via proxy http://hub:***@127.0.0.1:${proxyPort}`);
  expect(closed.reason).toContain('HTTP 407');
  expect(closed.statusReason).toBe(407);
  expect(closed.reason).not.toContain('wrong');
  await setProxy(null);
  await waitUntil(() => io.of('connection.update').at(-1)?.data.state === 'open', 20_000);
});
