import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { WhatsAppSimulator } from '../../../simulator/simulator.js';
import { ADMIN_KEY, EventClient, hubClient } from '../../helpers/hub.js';
import { holdersOf, sharedStore, untilEveryNodeSeesAll } from '../../helpers/cluster.js';
import { spawnHub, type Spawned } from '../../helpers/processes.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startSimulator } from '../../helpers/simulator.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { until } from '../../helpers/until.js';

const PHONE = '5541984000001';
const CONTACT = '5541984000002';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let redis: TestRedis;
let sim: WhatsAppSimulator;
const dirs: ReturnType<typeof tempDir>[] = [];
const hubs = new Map<string, Spawned>();
const closers: (() => void)[] = [];
const urlOf = (node: string) => hubs.get(node)!.vars.WAHUB_URL!;
const mediaFiles = (dataDir: string) =>
  readdirSync(join(dataDir, 'media'), { recursive: true, withFileTypes: true }).filter(e => e.isFile() && !e.parentPath.includes('tmp'));
const nodeEnv = (node: string) => ({ REDIS_URL: redis.url, NODE_ID: node, LEASE_TTL_MS: '3000', CLUSTER_SETTLE_MS: '0', RATE_LIMIT_PER_SECOND: '0' });

beforeAll(async () => {
  redis = await startRedis();
  sim = await startSimulator();
});
afterEach(async () => {
  closers.splice(0).forEach(close => close());
  for (const hub of hubs.values()) await hub.stop('SIGKILL');
  hubs.clear();
});
afterAll(async () => {
  await sim?.stop();
  await redis?.stop();
  dirs.forEach(d => d.cleanup());
});

/** Creates and pairs an instance through the node that does not hold it; answers the owner, the other node and a client on the other. */
async function openInstance(name: string, phone: string) {
  await untilEveryNodeSeesAll(hubs);
  const created = await hubClient(urlOf('node-a')).request('POST', '/instance/create', { instanceName: name });
  const token = created.json.token as string;
  const [owner] = await until('one node to hold the instance', async () => {
    const holders = await holdersOf(hubs, name);
    return holders.length === 1 ? holders : undefined;
  });
  const other = [...hubs.keys()].find(n => n !== owner)!;
  const client = new EventClient(urlOf(other), token);
  closers.push(() => client.close());
  await client.connected();
  expect(await client.emit('subscribe', { instance: name })).toMatchObject({ ok: true });
  await hubClient(urlOf(other)).request('GET', `/instance/connect/${name}`, undefined, token);
  await sim.scan(phone, (await client.waitFor('qrcode.updated')).data.qrcode.code);
  await client.waitFor('connection.update', e => e.data.state === 'open');
  return { token, owner: owner!, other, client };
}

function documentForm(bytes: Buffer, mediatype = 'document'): FormData {
  const form = new FormData();
  form.set('number', CONTACT);
  form.set('mediatype', mediatype);
  form.set('caption', 'through the other node');
  form.set('file', new Blob([new Uint8Array(bytes)], { type: 'application/pdf' }), 'report.pdf');
  return form;
}

/** A contact sends an image; both nodes serve the same bytes for it, by the key and by a URL one of them signed. */
async function receivedImageServedByBoth(name: string, phone: string, token: string, client: EventClient, nodes: string[]) {
  const image = randomBytes(64 * 1024);
  const { messageId } = await sim.sendMedia(phone, CONTACT, { type: 'image', base64: image.toString('base64'), mimetype: 'image/jpeg' });
  const event = await client.waitFor('new.message', e => e.data.header.messageId === messageId);
  for (const node of nodes) {
    const got = await fetch(`${urlOf(node)}${event.data.body.media!.url}`, { headers: { apikey: token } });
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('image/jpeg');
    expect(sha256(Buffer.from(await got.arrayBuffer()))).toBe(sha256(image));
  }
  const signed = await hubClient(urlOf(nodes[1]!)).request('POST', `/media/signUrl/${name}`, { messageId, expiresIn: 60 }, token);
  expect(signed.status).toBe(200);
  for (const node of nodes) {
    const got = await fetch(`${urlOf(node)}${signed.json.url as string}`);
    expect(got.status).toBe(200);
    expect(sha256(Buffer.from(await got.arrayBuffer()))).toBe(sha256(image));
  }
}

test('nodes sharing the media folder: a multipart upload to the node that does not run the instance is sent by the owner, and received media is served by either node', async () => {
  sim.createAccount({ phone: PHONE, contacts: [{ phone: CONTACT, pushName: 'Edu' }], history: { chats: [] } });
  // One DATA_DIR for both: one SQLite file and one media folder, as nodes on one machine (or the compose volume) share them.
  const dir = tempDir('wahub-media-nodes-');
  dirs.push(dir);
  for (const node of ['node-a', 'node-b']) hubs.set(node, await spawnHub(dir.path, sim, ADMIN_KEY, nodeEnv(node)));
  const { token, owner, other, client } = await openInstance('pics', PHONE);

  // Upload through the node that does not run the instance: it stores the file, the owner sends it from the shared folder.
  const bytes = randomBytes(256 * 1024 + 3);
  const res = await fetch(`${urlOf(other)}/message/sendMedia/pics`, { method: 'POST', headers: { apikey: token }, body: documentForm(bytes) });
  const json = (await res.json()) as { key: { id: string }; media: { sha256: string; fileLength: number; mimetype: string } };
  expect(res.status).toBe(201);
  expect(json.media).toMatchObject({ mimetype: 'application/pdf', fileLength: bytes.length, sha256: sha256(bytes) });
  const out = await until('the contact to receive the document', () => sim.outbox(PHONE).find(o => o.id === json.key.id), 15_000);
  expect(out.media).toMatchObject({ type: 'document', fileName: 'report.pdf', caption: 'through the other node', sha256: sha256(bytes), mimetype: 'application/pdf' });
  expect(await holdersOf(hubs, 'pics')).toEqual([owner]);

  // A forwarded upload the owner refuses leaves no file behind in the shared folder.
  const before = mediaFiles(dir.path).length;
  const bad = await fetch(`${urlOf(other)}/message/sendMedia/pics`, { method: 'POST', headers: { apikey: token }, body: documentForm(randomBytes(1000), 'hologram') });
  expect(bad.status).toBe(400);
  expect(mediaFiles(dir.path).length).toBe(before);

  // An image the contact sends is stored by the owner; GET on the other node serves the same bytes.
  await receivedImageServedByBoth('pics', PHONE, token, client, [other, owner]);
}, 120_000);

test('nodes with media folders of their own: the upload to the node that does not run the instance is refused with 409 and left nowhere, and received media is still served by either node', async () => {
  const phone = '5541984000011';
  sim.createAccount({ phone, contacts: [{ phone: CONTACT, pushName: 'Edu' }], history: { chats: [] } });
  // One PostgreSQL database, a DATA_DIR each: nodes on separate machines without a shared volume.
  const database = await sharedStore('postgres');
  const own = new Map<string, string>();
  for (const node of ['node-a', 'node-b']) {
    const dir = tempDir(`wahub-media-${node}-`);
    dirs.push(dir);
    own.set(node, dir.path);
    hubs.set(node, await spawnHub(dir.path, sim, ADMIN_KEY, { ...nodeEnv(node), ...database }));
  }
  const { token, owner, other, client } = await openInstance('apart', phone);

  const res = await fetch(`${urlOf(other)}/message/sendMedia/apart`, { method: 'POST', headers: { apikey: token }, body: documentForm(randomBytes(4096)) });
  expect(res.status).toBe(409);
  expect(await res.json()).toMatchObject({ status: 409, message: expect.stringContaining('cannot read the uploaded file from its media folder') });
  expect(mediaFiles(own.get(other)!)).toEqual([]);
  expect(sim.outbox(phone).filter(o => o.media)).toEqual([]);

  // Each node downloads received media from WhatsApp into its own folder.
  await receivedImageServedByBoth('apart', phone, token, client, [other, owner]);
}, 120_000);

