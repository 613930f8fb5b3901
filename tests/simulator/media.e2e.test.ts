import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { downloadMediaMessage, type AnyMessageContent, type proto } from '@whiskeysockets/baileys';
import type { FastifyInstance } from 'fastify';
import type { TestClient } from '../helpers/baileys-client.js';
import { requireTestCa } from '../helpers/media-ca.js';
import { pairedClient, startSimulator, waitUntil } from '../helpers/simulator.js';
import { buildControlApi } from '../../simulator/control-api.js';
import { TEST_CA_PATH } from '../../simulator/media-server.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';

const ME = '5522900000001';
const ANA = '5522900000010';
const ANA_JID = `${ANA}@s.whatsapp.net`;

let sim: WhatsAppSimulator;
let api: FastifyInstance;
let control: string;
let client: TestClient;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${control}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  });
  return { status: res.status, json: await res.json() };
}

beforeAll(async () => {
  requireTestCa();
  sim = await startSimulator({ autoContacts: false, receiptDelayMs: 20 });
  api = buildControlApi(sim);
  control = await api.listen({ host: '127.0.0.1', port: 0 });
  client = await pairedClient(sim, { phone: ME, pushName: 'Me', contacts: [{ phone: ANA, pushName: 'Ana' }] });
});
afterAll(async () => {
  client.stop();
  await api.close();
  await sim.stop();
});

const samples = [
  { type: 'image', mimetype: 'image/jpeg', caption: 'a picture', bytes: randomBytes(70_001) },
  { type: 'video', mimetype: 'video/mp4', caption: 'a clip', bytes: randomBytes(300_017) },
  { type: 'audio', mimetype: 'audio/ogg; codecs=opus', ptt: true, bytes: randomBytes(12_345) },
  { type: 'audio', mimetype: 'audio/mpeg', ptt: false, bytes: randomBytes(23_456) },
  { type: 'document', mimetype: 'application/pdf', fileName: 'report.pdf', caption: 'the report', bytes: randomBytes(1_048_577) },
  { type: 'sticker', mimetype: 'image/webp', bytes: randomBytes(4_099) }
] as const;

const content = (s: (typeof samples)[number]): AnyMessageContent => {
  switch (s.type) {
    case 'image':
      return { image: s.bytes, mimetype: s.mimetype, caption: s.caption };
    case 'video':
      return { video: s.bytes, mimetype: s.mimetype, caption: s.caption };
    case 'audio':
      return { audio: s.bytes, mimetype: s.mimetype, ptt: s.ptt, seconds: 3 };
    case 'document':
      return { document: s.bytes, mimetype: s.mimetype, fileName: s.fileName, caption: s.caption };
    case 'sticker':
      return { sticker: s.bytes, mimetype: s.mimetype };
  }
};

test.each(samples.map(s => [`${s.type}${'ptt' in s && s.ptt ? ' (voice note)' : ''}`, s] as const))(
  'the client uploads and sends an %s: the contact downloads it over HTTPS and gets the same bytes',
  async (_name, sample) => {
    const before = sim.uploads(ME).length;
    const sent = await client.sock.sendMessage(ANA_JID, content(sample));
    const id = sent!.key.id!;
    await waitUntil(() => sim.outbox(ME).some(e => e.id === id), 10_000);
    const entry = sim.outbox(ME).find(e => e.id === id)!;
    expect(entry.mediaError).toBeUndefined();
    expect(entry.media).toEqual({
      type: sample.type,
      mimetype: sample.mimetype,
      fileLength: sample.bytes.length,
      sha256: sha256(sample.bytes),
      caption: 'caption' in sample ? sample.caption : null,
      fileName: 'fileName' in sample ? sample.fileName : null,
      ptt: 'ptt' in sample ? sample.ptt : false
    });
    // One upload of the encrypted file: the plaintext plus CBC padding plus the 10-byte MAC.
    const uploads = sim.uploads(ME).slice(before);
    expect(uploads).toHaveLength(1);
    expect(uploads[0]!.bytes).toBe((Math.floor(sample.bytes.length / 16) + 1) * 16 + 10);
    const listed = await call('GET', `/accounts/${ME}/uploads`);
    expect(listed.status).toBe(200);
    expect(listed.json.count).toBe(before + 1);
  }
);

test.each(samples.map(s => [`${s.type}${'ptt' in s && s.ptt ? ' (voice note)' : ''}`, s] as const))(
  'a contact sends an %s through the control API: Baileys downloads and decrypts the same bytes',
  async (_name, sample) => {
    const mark = client.mark;
    const res = await call('POST', `/accounts/${ME}/messages`, {
      from: ANA,
      media: {
        type: sample.type,
        base64: sample.bytes.toString('base64'),
        mimetype: sample.mimetype,
        ...('caption' in sample ? { caption: sample.caption } : {}),
        ...('fileName' in sample ? { fileName: sample.fileName } : {}),
        ...('ptt' in sample ? { ptt: sample.ptt } : {})
      }
    });
    expect(res.status).toBe(200);
    const upsert = await client.waitFor('messages.upsert', u => u.messages.some(m => m.key.id === res.json.messageId), { since: mark });
    const msg = upsert.messages.find(m => m.key.id === res.json.messageId)! as proto.IWebMessageInfo;
    const field = `${sample.type}Message` as const;
    const media = msg.message?.[field] as proto.Message.IDocumentMessage & proto.Message.IAudioMessage;
    expect(media).toBeTruthy();
    expect(media.mimetype).toBe(sample.mimetype);
    expect(Number(media.fileLength)).toBe(sample.bytes.length);
    if ('caption' in sample) expect(media.caption).toBe(sample.caption);
    if ('fileName' in sample) expect(media.fileName).toBe(sample.fileName);
    if ('ptt' in sample) expect(media.ptt).toBe(sample.ptt);
    // The URL is on the simulator's HTTPS host, trusted through the test CA.
    expect(media.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/v\//);
    const bytes = await downloadMediaMessage(msg as Parameters<typeof downloadMediaMessage>[0], 'buffer', {});
    expect(sha256(bytes)).toBe(sha256(sample.bytes));
  }
);

test('contact uploads are not the account client’s uploads', async () => {
  const before = (await call('GET', `/accounts/${ME}/uploads`)).json.count;
  await call('POST', `/accounts/${ME}/messages`, { from: ANA, media: { type: 'image', base64: randomBytes(100).toString('base64'), mimetype: 'image/png' } });
  expect((await call('GET', `/accounts/${ME}/uploads`)).json.count).toBe(before);
});

test('the control API refuses an unknown media type, text and media together, and neither, with the error shape', async () => {
  const bad = [
    { from: ANA, media: { type: 'hologram', base64: 'AAAA', mimetype: 'x/y' } },
    { from: ANA, text: 'hi', media: { type: 'image', base64: 'AAAA', mimetype: 'image/png' } },
    { from: ANA }
  ];
  for (const body of bad) {
    const res = await call('POST', `/accounts/${ME}/messages`, body);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ status: 400, error: 'Bad Request', message: expect.any(String) });
  }
  expect((await call('GET', `/accounts/${ME}/uploads`)).status).toBe(200);
});

test('an upload without a media_conn auth token is refused with 401 and not counted', async () => {
  const before = sim.uploads(ME).length;
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: Number(sim.media.hostname.split(':')[1]), path: '/mms/image/abc?auth=nope&token=abc', method: 'POST', ca: readFileSync(TEST_CA_PATH) },
      res => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }
    );
    req.on('error', reject);
    req.end(randomBytes(64));
  });
  expect(status).toBe(401);
  expect(sim.uploads(ME).length).toBe(before);
});

test('an expired media URL answers 404; the phone uploads the file again on a media retry (updateMediaMessage)', async () => {
  const bytes = randomBytes(33_333);
  const mark = client.mark;
  const res = await call('POST', `/accounts/${ME}/messages`, { from: ANA, media: { type: 'video', base64: bytes.toString('base64'), mimetype: 'video/mp4' } });
  const upsert = await client.waitFor('messages.upsert', u => u.messages.some(m => m.key.id === res.json.messageId), { since: mark });
  const msg = upsert.messages.find(m => m.key.id === res.json.messageId)! as Parameters<typeof downloadMediaMessage>[0];
  const expired = await call('POST', `/accounts/${ME}/media-expire`, { messageId: res.json.messageId });
  expect(expired).toEqual({ status: 200, json: { expired: true } });
  await expect(downloadMediaMessage(msg, 'buffer', {})).rejects.toMatchObject({ output: { statusCode: 404 } });
  const oldPath = msg.message!.videoMessage!.directPath;
  // Baileys builds the new URL on the media host media_conn named, which it asks for only before an upload.
  await client.sock.refreshMediaConn(false);
  const updated = await client.sock.updateMediaMessage(msg);
  expect(updated.message!.videoMessage!.directPath).not.toBe(oldPath);
  expect(sha256(await downloadMediaMessage(updated, 'buffer', {}))).toBe(sha256(bytes));
  // A message the phone never had: the retry is answered NOT_FOUND, which Baileys reports as 404.
  const unknown = { ...msg, key: { ...msg.key, id: 'NOSUCHMEDIA0001' } };
  await expect(client.sock.updateMediaMessage(unknown)).rejects.toMatchObject({ output: { statusCode: 404 } });
  expect((await call('POST', `/accounts/${ME}/media-expire`, { messageId: 'NOSUCHMEDIA0001' })).status).toBe(404);
});
