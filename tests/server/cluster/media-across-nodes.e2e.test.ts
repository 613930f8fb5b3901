import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { WhatsAppSimulator } from '../../../simulator/simulator.js';
import { ADMIN_KEY, EventClient, hubClient } from '../../helpers/hub.js';
import { holdersOf, untilEveryNodeSeesAll } from '../../helpers/cluster.js';
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
let dir: ReturnType<typeof tempDir>;
const hubs = new Map<string, Spawned>();
const closers: (() => void)[] = [];
const urlOf = (node: string) => hubs.get(node)!.vars.WAHUB_URL!;
const mediaFiles = () => readdirSync(join(dir.path, 'media'), { recursive: true, withFileTypes: true }).filter(e => e.isFile() && !e.parentPath.includes('tmp'));

beforeAll(async () => {
  redis = await startRedis();
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, contacts: [{ phone: CONTACT, pushName: 'Edu' }], history: { chats: [] } });
  dir = tempDir('wahub-media-nodes-');
  // One DATA_DIR for both: one SQLite file and one media folder, as nodes on one machine (or the compose volume) share them.
  for (const node of ['node-a', 'node-b']) {
    hubs.set(node, await spawnHub(dir.path, sim, ADMIN_KEY, { REDIS_URL: redis.url, NODE_ID: node, LEASE_TTL_MS: '3000', CLUSTER_SETTLE_MS: '0', RATE_LIMIT_PER_SECOND: '0' }));
  }
});
afterAll(async () => {
  closers.forEach(close => close());
  for (const hub of hubs.values()) await hub.stop('SIGKILL');
  await sim?.stop();
  await redis?.stop();
  dir?.cleanup();
});

test('nodes sharing the media folder: a multipart upload to the node that does not run the instance is sent by the owner, and received media is served by either node', async () => {
  await untilEveryNodeSeesAll(hubs);
  const created = await hubClient(urlOf('node-a')).request('POST', '/instance/create', { instanceName: 'pics' });
  const token = created.json.token as string;
  const [owner] = await until('one node to hold the instance', async () => {
    const holders = await holdersOf(hubs, 'pics');
    return holders.length === 1 ? holders : undefined;
  });
  const other = [...hubs.keys()].find(n => n !== owner)!;
  const client = new EventClient(urlOf(other), token);
  closers.push(() => client.close());
  await client.connected();
  expect(await client.emit('subscribe', { instance: 'pics' })).toMatchObject({ ok: true });
  await hubClient(urlOf(other)).request('GET', '/instance/connect/pics', undefined, token);
  await sim.scan(PHONE, (await client.waitFor('qrcode.updated')).data.qrcode.code);
  await client.waitFor('connection.update', e => e.data.state === 'open');

  // Upload through the node that does not run the instance: it stores the file, the owner sends it from the shared folder.
  const bytes = randomBytes(256 * 1024 + 3);
  const form = new FormData();
  form.set('number', CONTACT);
  form.set('mediatype', 'document');
  form.set('caption', 'through the other node');
  form.set('file', new Blob([bytes], { type: 'application/pdf' }), 'report.pdf');
  const res = await fetch(`${urlOf(other)}/message/sendMedia/pics`, { method: 'POST', headers: { apikey: token }, body: form });
  const json = (await res.json()) as { key: { id: string }; media: { sha256: string; fileLength: number; mimetype: string } };
  expect(res.status).toBe(201);
  expect(json.media).toMatchObject({ mimetype: 'application/pdf', fileLength: bytes.length, sha256: sha256(bytes) });
  const out = await until('the contact to receive the document', () => sim.outbox(PHONE).find(o => o.id === json.key.id), 15_000);
  expect(out.media).toMatchObject({ type: 'document', fileName: 'report.pdf', caption: 'through the other node', sha256: sha256(bytes), mimetype: 'application/pdf' });
  expect(await holdersOf(hubs, 'pics')).toEqual([owner]);

  // A refused forwarded upload leaves no file behind in the shared folder.
  const before = mediaFiles().length;
  const refused = new FormData();
  refused.set('number', CONTACT);
  refused.set('mediatype', 'hologram');
  refused.set('file', new Blob([randomBytes(1000)], { type: 'image/png' }), 'x.png');
  const bad = await fetch(`${urlOf(other)}/message/sendMedia/pics`, { method: 'POST', headers: { apikey: token }, body: refused });
  expect(bad.status).toBe(400);
  expect(mediaFiles().length).toBe(before);

  // An image the contact sends is stored by the owner; GET on the other node serves the same bytes.
  const image = randomBytes(64 * 1024);
  const { messageId } = await sim.sendMedia(PHONE, CONTACT, { type: 'image', base64: image.toString('base64'), mimetype: 'image/jpeg' });
  const event = await client.waitFor('new.message', e => e.data.header.messageId === messageId);
  for (const node of [other, owner!]) {
    const got = await fetch(`${urlOf(node)}${event.data.body.media!.url}`, { headers: { apikey: token } });
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('image/jpeg');
    expect(sha256(Buffer.from(await got.arrayBuffer()))).toBe(sha256(image));
  }
}, 120_000);
