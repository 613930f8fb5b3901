import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import type { OutboxEntry } from '../../simulator/model.js';
import { ADMIN_KEY, EventClient, startHub, type TestHub } from '../helpers/hub.js';
import { requireTestCa } from '../helpers/media-ca.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';
import { tempDir } from '../helpers/temp-dir.js';
import { WsClient } from '../helpers/ws-client.js';

const PHONE = '5531960000001';
const ANA = '5531960000010';
const GHOST = '5531960000099';
const NAME = 'media';
const MAX = 8 * 1024 * 1024;

let sim: WhatsAppSimulator;
let hub: TestHub;
let token: string;
let io: EventClient;
let files: Server;
let filesUrl: string;
const dir = tempDir('wahub-media-');

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const env = (extra: Record<string, string> = {}) => ({ RATE_LIMIT_PER_SECOND: '0', MEDIA_MAX_BYTES: String(MAX), ...extra });

/** A file server on loopback for URL sources: /ok (bytes), /missing (404), /slow (never answers), /hop (redirect to /ok). */
const served = randomBytes(200_003);
function startFiles(): Promise<void> {
  files = createServer((req, res) => {
    if (req.url === '/ok/photo.jpg') return void res.writeHead(200, { 'content-type': 'image/jpeg' }).end(served);
    if (req.url === '/hop') return void res.writeHead(302, { location: '/ok/photo.jpg' }).end();
    if (req.url === '/slow') return; // never answers
    res.writeHead(404).end();
  });
  return new Promise(resolve => files.listen(0, '127.0.0.1', () => resolve()));
}

async function download(path: string, headers: Record<string, string> = { apikey: token }): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
  const res = await fetch(`${hub.url}${path}`, { headers });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}

const received = async (id: string): Promise<OutboxEntry> => {
  await waitUntil(() => sim.outbox(PHONE).some(o => o.id === id), 15_000);
  return sim.outbox(PHONE).find(o => o.id === id)!;
};

/** Starts the hub on the same data directory and waits until the instance is open again (stored credentials, no QR). */
async function restartHub(extra: Record<string, string>): Promise<void> {
  io.close();
  await hub.close();
  hub = await startHub(sim, { dataDir: dir.path, env: env(extra) });
  io = new EventClient(hub.url, token);
  await io.connected();
  expect((await io.emit('subscribe', { instance: NAME })).ok).toBe(true);
  await waitUntil(() => hub.app.hub.registry.get(NAME).session.state === 'open', 20_000);
}

beforeAll(async () => {
  requireTestCa();
  await startFiles();
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  sim = await startSimulator({ receiptDelayMs: 50 });
  sim.createAccount({ phone: PHONE, contacts: [{ phone: ANA, pushName: 'Ana' }, { phone: GHOST, onWhatsApp: false }] });
  hub = await startHub(sim, { dataDir: dir.path, env: env({ MEDIA_FETCH_ALLOW_PRIVATE: 'true', MEDIA_FETCH_TIMEOUT_MS: '1500' }) });
  ({ token, client: io } = await pairInstance(hub, sim, NAME, PHONE));
});
afterAll(async () => {
  io?.close();
  await hub?.close();
  await sim?.stop();
  files?.closeAllConnections();
  await new Promise(r => files?.close(r));
  dir.cleanup();
});

const samples = [
  { mediatype: 'image', mimetype: 'image/jpeg', caption: 'a picture', bytes: randomBytes(65_537) },
  { mediatype: 'video', mimetype: 'video/mp4', caption: 'a clip', bytes: randomBytes(250_001) },
  { mediatype: 'audio', mimetype: 'audio/ogg; codecs=opus', ptt: true, bytes: randomBytes(9_999) },
  { mediatype: 'audio', mimetype: 'audio/mpeg', ptt: false, bytes: randomBytes(19_999) },
  { mediatype: 'document', mimetype: 'application/pdf', fileName: 'report.pdf', caption: 'the report', bytes: randomBytes(1_000_003) },
  { mediatype: 'sticker', mimetype: 'image/webp', bytes: randomBytes(3_001) }
] as const;
const label = (s: (typeof samples)[number]) => `${s.mediatype}${'ptt' in s && s.ptt ? ' (voice note)' : ''}`;
const optional = (s: (typeof samples)[number]) => ({
  ...('caption' in s ? { caption: s.caption } : {}),
  ...('fileName' in s ? { fileName: s.fileName } : {}),
  ...('ptt' in s ? { ptt: s.ptt } : {})
});

describe('sending', () => {
  test.each(samples.map(s => [label(s), s] as const))('an %s sent as base64 reaches the contact byte for byte and is served back from the store', async (_l, s) => {
    const res = await hub.request('POST', `/message/sendMedia/${NAME}`, { number: ANA, mediatype: s.mediatype, mimetype: s.mimetype, media: s.bytes.toString('base64'), ...optional(s) }, token);
    expect(res.status).toBe(201);
    expect(res.json.media).toEqual({ url: `/media/${NAME}/${res.json.key.id}`, mimetype: s.mimetype, fileLength: s.bytes.length, sha256: sha256(s.bytes) });
    const out = await received(res.json.key.id);
    expect(out.mediaError).toBeUndefined();
    expect(out.media).toMatchObject({ type: s.mediatype, mimetype: s.mimetype, fileLength: s.bytes.length, sha256: sha256(s.bytes), ...optional(s) });
    // The own send is stored like a received one: listed with body.media, its bytes served.
    await waitUntil(() => hub.app.hub.media.storage.media.get(hub.app.hub.registry.get(NAME).row.id, res.json.key.id)?.stored_at != null, 10_000);
    // The reply comes when the stanza is written; Baileys stores its own copy of the send just after.
    let listed: any;
    for (const end = Date.now() + 10_000; !listed && Date.now() < end; await new Promise(r => setTimeout(r, 50))) {
      const page = await hub.request('POST', `/chat/findMessages/${NAME}`, { chat: ANA, limit: 5 }, token);
      listed = page.json.messages.find((m: any) => m.header.messageId === res.json.key.id);
    }
    expect(listed.body.media).toEqual(res.json.media);
    const got = await download(res.json.media.url);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe(s.mimetype);
    expect(sha256(got.bytes)).toBe(sha256(s.bytes));
  });

  test('a document as a multipart file part is streamed in and arrives byte for byte, its name from the part', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 7);
    const form = new FormData();
    form.set('number', ANA);
    form.set('mediatype', 'document');
    form.set('caption', 'from a form');
    form.set('file', new Blob([bytes], { type: 'application/zip' }), 'archive.zip');
    const res = await fetch(`${hub.url}/message/sendMedia/${NAME}`, { method: 'POST', headers: { apikey: token }, body: form });
    const json = (await res.json()) as any;
    expect(res.status).toBe(201);
    expect(json.media).toMatchObject({ mimetype: 'application/zip', fileLength: bytes.length, sha256: sha256(bytes) });
    const out = await received(json.key.id);
    expect(out.media).toMatchObject({ type: 'document', fileName: 'archive.zip', caption: 'from a form', sha256: sha256(bytes), mimetype: 'application/zip' });
  });

  test('a voice note as multipart with ptt as text goes out as a voice note', async () => {
    const bytes = randomBytes(4321);
    const form = new FormData();
    form.set('number', ANA);
    form.set('mediatype', 'audio');
    form.set('ptt', 'true');
    form.set('file', new Blob([bytes]), 'note.ogg');
    const res = await fetch(`${hub.url}/message/sendMedia/${NAME}`, { method: 'POST', headers: { apikey: token }, body: form });
    const json = (await res.json()) as any;
    expect(res.status).toBe(201);
    expect((await received(json.key.id)).media).toMatchObject({ type: 'audio', ptt: true, mimetype: 'audio/ogg; codecs=opus', sha256: sha256(bytes) });
  });

  test('a data URL and an http URL (through a redirect) are taken as sources, over Socket.IO and the WebSocket too', async () => {
    const small = randomBytes(777);
    const viaIo = await io.emit('message.sendMedia', { instance: NAME, number: ANA, mediatype: 'image', media: `data:image/png;base64,${small.toString('base64')}` });
    expect(viaIo.ok).toBe(true);
    expect(viaIo.data.media).toMatchObject({ mimetype: 'image/png', sha256: sha256(small) });
    expect((await received(viaIo.data.key.id)).media).toMatchObject({ sha256: sha256(small), mimetype: 'image/png' });
    const viaUrl = await hub.request('POST', `/message/sendMedia/${NAME}`, { number: ANA, mediatype: 'image', media: `${filesUrl}/hop` }, token);
    expect(viaUrl.status).toBe(201);
    expect(viaUrl.json.media).toMatchObject({ mimetype: 'image/jpeg', sha256: sha256(served) });
    expect((await received(viaUrl.json.key.id)).media).toMatchObject({ sha256: sha256(served) });
    const ws = new WsClient(hub.url, { token });
    await ws.open();
    const viaWs = await ws.call('message.sendMedia', { instance: NAME, number: ANA, mediatype: 'sticker', media: small.toString('base64') });
    ws.close();
    expect(viaWs.ok).toBe(true);
    expect((await received(viaWs.data.key.id)).media).toMatchObject({ type: 'sticker', mimetype: 'image/webp', sha256: sha256(small) });
  });

  test('one bulk queue with media to 20 numbers uploads the file once and every number gets the same bytes', async () => {
    const numbers = Array.from({ length: 20 }, (_, i) => `55319600001${String(i).padStart(2, '0')}`);
    const bytes = randomBytes(123_457);
    const before = sim.uploads(PHONE).length;
    const created = await hub.request(
      'POST',
      `/message/sendBulk/${NAME}`,
      { numbers, message: { media: { mediatype: 'image', mimetype: 'image/jpeg', caption: 'for all', media: bytes.toString('base64') } }, options: { minDelayMs: 0, maxDelayMs: 5 } },
      token
    );
    expect(created.status).toBe(201);
    await io.waitFor('send.message:COMPLETED', e => e.data.queue.queueId === created.json.queueId, 60_000);
    const { recipients } = hub.app.hub.queues.get(NAME, created.json.queueId);
    expect(recipients!.map(r => r.state)).toEqual(numbers.map(() => 'sent'));
    for (const r of recipients!) expect((await received(r.messageId!)).media).toMatchObject({ sha256: sha256(bytes), caption: 'for all' });
    expect(sim.uploads(PHONE).length - before).toBe(1);
  });
});

describe('receiving', () => {
  test.each(samples.map(s => [label(s), s] as const))('an %s from a contact is new.message with body.media and no key material; GET serves the same bytes', async (_l, s) => {
    const { messageId } = await sim.sendMedia(PHONE, ANA, { type: s.mediatype, base64: s.bytes.toString('base64'), mimetype: s.mimetype, ...optional(s) });
    const event = await io.waitFor('new.message', e => e.data.header.messageId === messageId);
    expect(event.data.body.media).toEqual({ url: `/media/${NAME}/${messageId}`, mimetype: s.mimetype, fileLength: s.bytes.length, sha256: sha256(s.bytes) });
    const message = event.data.body.message as Record<string, unknown>;
    for (const secret of ['mediaKey', 'directPath', 'url', 'fileEncSha256']) expect(message).not.toHaveProperty(secret);
    expect(message).toMatchObject({ mimetype: s.mimetype, ...optional(s) });
    const got = await download(event.data.body.media!.url);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe(s.mimetype);
    expect(sha256(got.bytes)).toBe(sha256(s.bytes));
  });

  test('Range requests get 206 with the slice, a suffix range the tail, and an impossible one 416', async () => {
    const bytes = randomBytes(10_000);
    const { messageId } = await sim.sendMedia(PHONE, ANA, { type: 'document', base64: bytes.toString('base64'), mimetype: 'application/octet-stream', fileName: 'r.bin' });
    const path = (await io.waitFor('new.message', e => e.data.header.messageId === messageId)).data.body.media!.url;
    const part = await download(path, { apikey: token, range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 100-199/10000');
    expect(part.bytes.equals(bytes.subarray(100, 200))).toBe(true);
    const tail = await download(path, { apikey: token, range: 'bytes=-10' });
    expect(tail.bytes.equals(bytes.subarray(9990))).toBe(true);
    expect((await download(path, { apikey: token, range: 'bytes=10000-' })).status).toBe(416);
  });

  test('GET /media needs the key or a valid signed URL: none 401, another instance 403, a signed URL opens it until it expires', async () => {
    const bytes = randomBytes(2048);
    const { messageId } = await sim.sendMedia(PHONE, ANA, { type: 'image', base64: bytes.toString('base64'), mimetype: 'image/png' });
    const path = (await io.waitFor('new.message', e => e.data.header.messageId === messageId)).data.body.media!.url;
    expect((await download(path, {})).status).toBe(401);
    const other = await hub.request('POST', '/instance/create', { instanceName: 'other' });
    const forbidden = await download(path, { apikey: other.json.token });
    expect(forbidden.status).toBe(403);
    expect(JSON.parse(forbidden.bytes.toString())).toEqual({ status: 403, error: 'Forbidden', message: expect.any(String) });
    const signed = await hub.request('POST', `/media/signUrl/${NAME}`, { messageId, expiresIn: 60 }, token);
    expect(signed.status).toBe(200);
    const open = await download(signed.json.url, {});
    expect(open.status).toBe(200);
    expect(sha256(open.bytes)).toBe(sha256(bytes));
    const tampered = signed.json.url.replace(/expires=\d+/, `expires=${signed.json.expires + 1000}`);
    expect((await download(tampered, {})).status).toBe(401);
    const url = new URL(signed.json.url, hub.url);
    const expired = hub.app.hub.signer.sign(NAME, messageId, 1000);
    expect((await download(`${url.pathname}?expires=1000&sig=${expired}`, {})).status).toBe(401);
    expect((await download(`/media/${NAME}/NOSUCHMESSAGE`)).status).toBe(404);
  });

  test('a revoked media message takes its media with it: GET answers 404 and the file is gone', async () => {
    const bytes = randomBytes(5_555);
    const { messageId } = await sim.sendMedia(PHONE, ANA, { type: 'image', base64: bytes.toString('base64'), mimetype: 'image/jpeg' });
    const path = (await io.waitFor('new.message', e => e.data.header.messageId === messageId)).data.body.media!.url;
    expect((await download(path)).status).toBe(200);
    expect(hub.app.hub.media.store.has(sha256(bytes))).toBe(true);
    await sim.revoke(PHONE, ANA, messageId);
    await io.waitFor('messages.delete', e => Array.isArray(e.data) && e.data.some(d => d.messageId === messageId));
    expect((await download(path)).status).toBe(404);
    expect(hub.app.hub.media.store.has(sha256(bytes))).toBe(false);
  });
});

describe('bad input', () => {
  const send = (body: Record<string, unknown>) => hub.request('POST', `/message/sendMedia/${NAME}`, { number: ANA, ...body }, token);
  const shape = (status: number) => ({ status, error: expect.any(String), message: expect.any(String) });

  test('an unknown media type is 400 on every transport', async () => {
    const rest = await send({ mediatype: 'hologram', media: 'AAAA' });
    expect(rest.status).toBe(400);
    expect(rest.json).toEqual(shape(400));
    const viaIo = await io.emit('message.sendMedia', { instance: NAME, number: ANA, mediatype: 'hologram', media: 'AAAA' });
    expect(viaIo).toEqual({ ok: false, error: rest.json });
  });

  test('too large is 413: base64 past MEDIA_MAX_BYTES, a multipart file past it, and a JSON body past its limit', async () => {
    const over = randomBytes(MAX + 1);
    const json = await send({ mediatype: 'document', media: over.toString('base64') });
    expect(json.status).toBe(413);
    expect(json.json).toEqual(shape(413));
    const form = new FormData();
    form.set('number', ANA);
    form.set('mediatype', 'document');
    form.set('file', new Blob([over]), 'big.bin');
    const res = await fetch(`${hub.url}/message/sendMedia/${NAME}`, { method: 'POST', headers: { apikey: token }, body: form });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual(shape(413));
    const huge = await send({ mediatype: 'document', media: randomBytes(MAX * 2).toString('base64') });
    expect(huge.status).toBe(413);
    // Nothing half-written is left behind.
    expect(readdirSync(join(dir.path, 'media', 'tmp'))).toEqual([]);
  });

  test('received media past MEDIA_MAX_BYTES is announced but not downloaded: GET answers 413; media.url of an unknown message 404', async () => {
    const big = randomBytes(MAX + 1);
    const { messageId } = await sim.sendMedia(PHONE, ANA, { type: 'document', base64: big.toString('base64'), mimetype: 'application/octet-stream', fileName: 'big.bin' });
    const event = await io.waitFor('new.message', e => e.data.header.messageId === messageId);
    expect(event.data.body.media).toMatchObject({ fileLength: MAX + 1, sha256: sha256(big) });
    const got = await download(event.data.body.media!.url);
    expect(got.status).toBe(413);
    expect(JSON.parse(got.bytes.toString())).toEqual(shape(413));
    expect(hub.app.hub.media.store.has(sha256(big))).toBe(false);
    const unknown = await hub.request('POST', `/media/signUrl/${NAME}`, { messageId: 'NOSUCHMESSAGE' }, token);
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual(shape(404));
  });

  test('a refused multipart send leaves no file in the store: an unknown media type (400) and a number not on WhatsApp (404)', async () => {
    const cases = [
      { number: ANA, mediatype: 'hologram', status: 400 },
      { number: GHOST, mediatype: 'document', status: 404 }
    ];
    for (const c of cases) {
      const bytes = randomBytes(7_777);
      const form = new FormData();
      form.set('number', c.number);
      form.set('mediatype', c.mediatype);
      form.set('file', new Blob([bytes]), 'x.bin');
      const res = await fetch(`${hub.url}/message/sendMedia/${NAME}`, { method: 'POST', headers: { apikey: token }, body: form });
      expect(res.status).toBe(c.status);
      expect(await res.json()).toEqual(shape(c.status));
      expect(hub.app.hub.media.store.has(sha256(bytes))).toBe(false);
    }
  });

  test('a URL that fails or times out is 400 with the reason; no media, bad base64, and misplaced fields are 400', async () => {
    const missing = await send({ mediatype: 'image', media: `${filesUrl}/missing` });
    expect(missing.status).toBe(400);
    expect(missing.json.message).toMatch(/answered 404/);
    const slow = await send({ mediatype: 'image', media: `${filesUrl}/slow` });
    expect(slow.status).toBe(400);
    expect(slow.json.message).toMatch(/timed out/);
    const refused = await send({ mediatype: 'image', media: 'http://127.0.0.1:1/x.jpg' });
    expect(refused.status).toBe(400);
    expect(refused.json.message).toMatch(/could not be fetched/);
    for (const body of [{ mediatype: 'image' }, { mediatype: 'image', media: '***not base64***' }, { mediatype: 'image', media: 'ftp://example.com/a.jpg' }, { mediatype: 'image', media: 'AAAA', ptt: true }, { mediatype: 'sticker', media: 'AAAA', caption: 'no' }]) {
      const res = await send(body);
      expect(res.status).toBe(400);
      expect(res.json).toEqual(shape(400));
    }
    // The hub is still there and sending.
    expect((await send({ mediatype: 'image', media: randomBytes(10).toString('base64') })).status).toBe(201);
  });
});

describe('across restarts', () => {
  let lazyId: string;
  const lazyBytes = randomBytes(54_321);
  let eagerPath: string;
  const eagerBytes = randomBytes(4_444);

  test('media downloaded eagerly is served after a restart, and a lazy hub refuses private URLs', async () => {
    const { messageId } = await sim.sendMedia(PHONE, ANA, { type: 'image', base64: eagerBytes.toString('base64'), mimetype: 'image/jpeg' });
    eagerPath = (await io.waitFor('new.message', e => e.data.header.messageId === messageId)).data.body.media!.url;
    const instanceId = hub.app.hub.registry.get(NAME).row.id;
    await waitUntil(() => hub.app.hub.media.storage.media.get(instanceId, messageId)?.stored_at != null, 10_000);
    await restartHub({ MEDIA_DOWNLOAD: 'lazy' });
    const got = await download(eagerPath);
    expect(got.status).toBe(200);
    expect(sha256(got.bytes)).toBe(sha256(eagerBytes));
    const refused = await hub.request('POST', `/message/sendMedia/${NAME}`, { number: ANA, mediatype: 'image', media: `${filesUrl}/ok/photo.jpg` }, token);
    expect(refused.status).toBe(400);
    expect(refused.json.message).toMatch(/loopback, private or link-local/);
  });

  test('a lazy hub stores the message but not the bytes; after another restart the first GET downloads and serves them', async () => {
    ({ messageId: lazyId } = await sim.sendMedia(PHONE, ANA, { type: 'video', base64: lazyBytes.toString('base64'), mimetype: 'video/mp4' }));
    const event = await io.waitFor('new.message', e => e.data.header.messageId === lazyId);
    const instanceId = hub.app.hub.registry.get(NAME).row.id;
    expect(hub.app.hub.media.storage.media.get(instanceId, lazyId)?.stored_at).toBeNull();
    expect(hub.app.hub.media.store.has(sha256(lazyBytes))).toBe(false);
    await restartHub({ MEDIA_DOWNLOAD: 'lazy' });
    const got = await download(event.data.body.media!.url, { apikey: ADMIN_KEY });
    expect(got.status).toBe(200);
    expect(sha256(got.bytes)).toBe(sha256(lazyBytes));
    expect(hub.app.hub.media.store.has(sha256(lazyBytes))).toBe(true);
  });

  test('MEDIA_RETENTION_DAYS removes media past it, rows and files, and GET then answers 404', async () => {
    await restartHub({ MEDIA_DOWNLOAD: 'lazy', MEDIA_RETENTION_DAYS: '1' });
    expect(hub.app.hub.media.prune(Date.now())).toBe(0);
    expect((await download(eagerPath)).status).toBe(200);
    // Two days on, everything stored so far is past the retention.
    expect(hub.app.hub.media.prune(Date.now() + 2 * 86_400_000)).toBeGreaterThan(0);
    expect(hub.app.hub.media.store.has(sha256(eagerBytes))).toBe(false);
    expect((await download(eagerPath)).status).toBe(404);
  });

  test('a lazy GET of media whose WhatsApp URL expired asks the phone to upload it again and serves the same bytes', async () => {
    const bytes = randomBytes(22_222);
    const { messageId } = await sim.sendMedia(PHONE, ANA, { type: 'document', base64: bytes.toString('base64'), mimetype: 'text/plain', fileName: 'old.txt' });
    const path = (await io.waitFor('new.message', e => e.data.header.messageId === messageId)).data.body.media!.url;
    sim.expireMedia(PHONE, messageId);
    const got = await download(path);
    expect({ status: got.status, body: got.status === 200 ? '' : got.bytes.toString() }).toEqual({ status: 200, body: '' });
    expect(sha256(got.bytes)).toBe(sha256(bytes));
  });
});
