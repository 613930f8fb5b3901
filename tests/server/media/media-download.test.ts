import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { Agent, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encryptedStream } from '@whiskeysockets/baileys';
import { downloadMedia, MediaDownloadError, mediaUrlOf, type DownloadOptions, type EncryptedMedia } from '../../../server/media/media-download.js';

let server: Server;
let base: string;
let blob: Buffer;
let media: EncryptedMedia;
const plain = randomBytes(40_003);
const agent = new Agent({ keepAlive: false });
const stopping = new AbortController();

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const opts = (extra: Partial<DownloadOptions> = {}): DownloadOptions => ({
  agentFor: () => agent,
  connectTimeoutMs: 5_000,
  idleTimeoutMs: 5_000,
  signal: stopping.signal,
  ...extra
});
const at = (path: string): EncryptedMedia => ({ ...media, url: `${base}${path}`, directPath: null });

/** Reads the whole plaintext, or the error the stream failed with. */
async function fetchAll(m: EncryptedMedia, o = opts()): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await downloadMedia(m, 'image', o)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  const enc = await encryptedStream(plain, 'image');
  blob = readFileSync(enc.encFilePath);
  rmSync(enc.encFilePath, { force: true });
  media = { mediaKey: enc.mediaKey, fileEncSha256: enc.fileEncSha256 };
  // /hop/N redirects N more times before /blob; /stall sends half the file and goes silent; /cut closes mid-file.
  server = createServer((req, res) => {
    const hop = /^\/hop\/(\d+)$/.exec(req.url ?? '');
    if (hop) return void res.writeHead(302, { location: Number(hop[1]) > 1 ? `/hop/${Number(hop[1]) - 1}` : '/blob' }).end();
    if (req.url === '/blob') return void res.writeHead(200, { 'content-length': blob.length }).end(blob);
    if (req.url === '/stall') return void res.writeHead(200, { 'content-length': blob.length }).write(blob.subarray(0, 1000));
    if (req.url === '/cut') {
      res.writeHead(200, { 'content-length': blob.length }).write(blob.subarray(0, 1000), () => res.destroy());
      return;
    }
    if (req.url === '/silent') return;
    res.writeHead(404).end();
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  agent.destroy();
  server.closeAllConnections();
  await new Promise(r => server.close(r));
});

test('a file decrypts to the bytes that were encrypted, also through three redirects', async () => {
  expect(sha256(await fetchAll(at('/blob')))).toBe(sha256(plain));
  expect(sha256(await fetchAll(at('/hop/3')))).toBe(sha256(plain));
});

test('a fourth redirect is refused', async () => {
  await expect(fetchAll(at('/hop/4'))).rejects.toThrow('redirects more than 3 times');
});

test('a CDN answer other than 200 fails with its status, which says whether the URL expired', async () => {
  const err = await fetchAll(at('/gone')).catch(e => e);
  expect(err).toBeInstanceOf(MediaDownloadError);
  expect(err.httpStatus).toBe(404);
});

test('the direct path is fetched on the host the URL names, as Baileys does, else on its default media host', () => {
  expect(mediaUrlOf({ url: 'https://media.example:8443/elsewhere/old.enc?x=1', directPath: '/v/t62/new.enc?ccb=1' }).href).toBe('https://media.example:8443/v/t62/new.enc?ccb=1');
  expect(mediaUrlOf({ directPath: '/v/t62/new.enc' }).host).toBe('mmg.whatsapp.net');
  expect(mediaUrlOf({ url: `${base}/blob` }).href).toBe(`${base}/blob`);
  expect(() => mediaUrlOf({})).toThrow(MediaDownloadError);
});

test('a host that never answers, a body that stalls, and a connection cut mid-file all fail instead of passing a short file', async () => {
  await expect(fetchAll(at('/silent'), opts({ connectTimeoutMs: 300 }))).rejects.toThrow(/no answer from .* within 300 ms/);
  await expect(fetchAll(at('/stall'), opts({ idleTimeoutMs: 300 }))).rejects.toThrow(/sent nothing for 300 ms/);
  await expect(fetchAll(at('/cut'))).rejects.toThrow();
});

test('a wrong media key fails the MAC; a wrong fileEncSha256 fails the digest', async () => {
  await expect(fetchAll({ ...at('/blob'), mediaKey: randomBytes(32) })).rejects.toThrow("the media file's MAC is wrong");
  const wrong = Buffer.from(media.fileEncSha256 as Uint8Array);
  wrong[0]! ^= 1;
  await expect(fetchAll({ ...at('/blob'), fileEncSha256: wrong })).rejects.toThrow('fileEncSha256');
});

test('the stop signal ends a request in flight with its own reason', async () => {
  const pending = fetchAll(at('/silent'));
  stopping.abort();
  await expect(pending).rejects.toThrow('the hub is closing');
});
