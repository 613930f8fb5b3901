import { createDecipheriv, createHash, createHmac, timingSafeEqual, type Decipher, type Hash, type Hmac } from 'node:crypto';
import { request as httpRequest, type Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { DEFAULT_ORIGIN, getMediaKeys, getUrlFromDirectPath, type MediaType } from '@whiskeysockets/baileys';

/** What a media message says of its file on WhatsApp's CDN. */
export interface EncryptedMedia {
  url?: string | null;
  directPath?: string | null;
  /** Raw bytes, or base64 text as the store gives it back. */
  mediaKey?: Uint8Array | string | null;
  fileEncSha256?: Uint8Array | string | null;
}

export interface DownloadOptions {
  /** The instance's proxy agent (it serves both schemes), or a plain agent of the scheme for a direct connection. */
  agentFor(protocol: 'http:' | 'https:'): HttpAgent;
  /** From the request until the response's headers: DNS, TCP, the proxy's tunnel and TLS. */
  connectTimeoutMs: number;
  /** No byte in either direction for this long ends the download. */
  idleTimeoutMs: number;
  /** Aborts the request (the hub is stopping). */
  signal: AbortSignal;
}

/** A download that failed; `httpStatus` is the CDN's answer when it gave one (403/404/410: the URL expired). */
export class MediaDownloadError extends Error {
  constructor(
    message: string,
    readonly httpStatus?: number
  ) {
    super(message);
    this.name = 'MediaDownloadError';
  }
}

/** WhatsApp's media MAC: the first 10 bytes of HMAC-SHA256(iv ‖ ciphertext), after the ciphertext. */
const MAC_LENGTH = 10;
const MAX_REDIRECTS = 3;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

const bytesOf = (v: Uint8Array | string): Buffer => (typeof v === 'string' ? Buffer.from(v, 'base64') : Buffer.from(v));

/**
 * Where Baileys downloads from: the direct path on the host the message's URL names
 * (the media host media_conn gave), else the URL itself.
 */
export function mediaUrlOf(media: EncryptedMedia): URL {
  let host: string | undefined;
  try {
    host = media.url ? new URL(media.url).host : undefined;
  } catch {
    host = undefined;
  }
  const url = media.directPath ? getUrlFromDirectPath(media.directPath, host) : media.url;
  if (!url) throw new MediaDownloadError('the message names no media URL or direct path');
  return new URL(url);
}

/**
 * Downloads a received file and decrypts it as it streams: the answer is the plaintext.
 * The stream fails at its end, before its last bytes, when the encrypted file is not the
 * one the message states (fileEncSha256) or its MAC is wrong, so a consumer that keeps
 * only whole streams keeps nothing. node:http(s) with the instance's agent rather than
 * fetch, so the request goes through the instance's proxy like its socket does.
 */
export async function downloadMedia(media: EncryptedMedia, type: MediaType, opts: DownloadOptions): Promise<Readable> {
  if (!media.mediaKey) throw new MediaDownloadError('the message has no media key');
  const { iv, cipherKey, macKey } = await getMediaKeys(bytesOf(media.mediaKey), type);
  if (!macKey) throw new MediaDownloadError(`no MAC key for ${type}`);
  const res = await follow(mediaUrlOf(media), opts);
  const verify = new VerifyAndDecrypt(iv, cipherKey, macKey, media.fileEncSha256 ? bytesOf(media.fileEncSha256) : undefined);
  // Either side failing ends both: a refused file closes its connection, a broken connection fails the file.
  pipeline(res, verify, () => undefined);
  return verify;
}

async function follow(start: URL, opts: DownloadOptions): Promise<IncomingMessage> {
  let url = start;
  for (let hop = 0; ; hop++) {
    const res = await get(url, opts);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (REDIRECTS.has(status) && location) {
      res.resume();
      if (hop >= MAX_REDIRECTS) throw new MediaDownloadError(`the media host redirects more than ${MAX_REDIRECTS} times`);
      url = new URL(location, url);
      continue;
    }
    if (status !== 200) {
      res.resume();
      // https-proxy-agent hands a refused CONNECT back as the response: it is the proxy speaking, not the CDN.
      if (status === 407) throw new MediaDownloadError('the proxy refused its credentials (HTTP 407)');
      throw new MediaDownloadError(`the media host answered ${status} for ${url.host}${url.pathname}`, status);
    }
    return res;
  }
}

function get(url: URL, opts: DownloadOptions): Promise<IncomingMessage> {
  const protocol = url.protocol;
  if (protocol !== 'https:' && protocol !== 'http:') return Promise.reject(new MediaDownloadError(`media URL scheme ${url.protocol} is not http(s)`));
  const send = protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: 'GET', agent: opts.agentFor(protocol), headers: { Origin: DEFAULT_ORIGIN }, signal: opts.signal });
    const connecting = setTimeout(
      () => req.destroy(new MediaDownloadError(`no answer from ${url.host} within ${opts.connectTimeoutMs} ms`)),
      opts.connectTimeoutMs
    );
    let answer: IncomingMessage | undefined;
    req.setTimeout(opts.idleTimeoutMs, () => {
      const err = new MediaDownloadError(`${url.host} sent nothing for ${opts.idleTimeoutMs} ms`);
      // Mid-body, the answer is failed first: destroying the request alone would fail it as a bare "aborted".
      answer?.destroy(err);
      req.destroy(err);
    });
    req.once('response', res => {
      clearTimeout(connecting);
      answer = res;
      resolve(res);
    });
    // `on`, not `once`: a second error (the connection dying after an idle timeout) must find a listener.
    req.on('error', err => {
      clearTimeout(connecting);
      if (opts.signal.aborted) return reject(new MediaDownloadError('the download was stopped: the hub is closing'));
      reject(err instanceof MediaDownloadError ? err : new MediaDownloadError(`media download from ${url.host} failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    });
    req.once('close', () => clearTimeout(connecting));
    req.end();
  });
}

/**
 * Ciphertext in, plaintext out. The last 10 bytes seen so far are held back, as they may
 * be the MAC; at the end the whole file's digest and the MAC are checked before the
 * final block is let out.
 */
class VerifyAndDecrypt extends Transform {
  private tail = Buffer.alloc(0);
  private readonly encSha: Hash = createHash('sha256');
  private readonly hmac: Hmac;
  private readonly decipher: Decipher;

  constructor(
    iv: Uint8Array,
    cipherKey: Uint8Array,
    macKey: Uint8Array,
    private readonly fileEncSha256: Buffer | undefined
  ) {
    super();
    this.hmac = createHmac('sha256', macKey).update(iv);
    this.decipher = createDecipheriv('aes-256-cbc', cipherKey, iv);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.encSha.update(chunk);
    const data = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
    const body = data.subarray(0, Math.max(0, data.length - MAC_LENGTH));
    this.tail = Buffer.from(data.subarray(body.length));
    if (!body.length) return done();
    this.hmac.update(body);
    try {
      done(null, this.decipher.update(body));
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    if (this.tail.length < MAC_LENGTH) return done(new MediaDownloadError('the media file is too short to hold its MAC'));
    const digest = this.encSha.digest();
    if (this.fileEncSha256 && !(digest.length === this.fileEncSha256.length && timingSafeEqual(digest, this.fileEncSha256))) {
      return done(new MediaDownloadError('the encrypted media file is not the one the message states (fileEncSha256)'));
    }
    if (!timingSafeEqual(this.hmac.digest().subarray(0, MAC_LENGTH), this.tail)) return done(new MediaDownloadError('the media file\'s MAC is wrong'));
    try {
      done(null, this.decipher.final());
    } catch (err) {
      done(new MediaDownloadError(`the media file does not decrypt: ${(err as Error).message}`));
    }
  }
}
