import { Readable } from 'node:stream';
import { Errors } from '../errors.js';
import { refuseOutboundUrl } from '../webhooks/address-check.js';

/** The bytes of a file to send, as a stream, with what the source said about them. */
export interface MediaSource {
  stream: Readable;
  /** From a data URL or the server's content-type; undefined for plain base64. */
  mimetype?: string;
  /** From the URL's last path segment. */
  fileName?: string;
}

export interface FetchOptions {
  timeoutMs: number;
  maxBytes: number;
  allowPrivate: boolean;
}

const DATA_URL = /^data:([\w.+-]+\/[\w.+-]+)?((?:;[\w-]+=[^;,]*)*)(;base64)?,/i;
const BASE64 = /^[A-Za-z0-9+/\r\n]+={0,2}\s*$/;
const MAX_REDIRECTS = 3;

/** Decoded size of a base64 text, without decoding it. */
const base64Bytes = (text: string): number => Math.floor((text.replace(/[\r\n\s=]/g, '').length * 3) / 4);

function fromBase64(text: string, maxBytes: number): Readable {
  if (!BASE64.test(text)) throw new Errors.badRequest('media must be an http(s) URL, base64 or a data: URL');
  if (base64Bytes(text) > maxBytes) throw new Errors.mediaTooLarge(maxBytes);
  const bytes = Buffer.from(text, 'base64');
  if (!bytes.length) throw new Errors.badRequest('media is empty');
  return Readable.from([bytes]);
}

/**
 * Fetches a media URL as a stream. Redirects are followed by hand, a few at most,
 * each target checked like the first, so a public URL cannot bounce the hub onto
 * its own network. Anything that fails is a 400 with the reason.
 */
async function fromUrl(raw: string, opts: FetchOptions): Promise<MediaSource> {
  const signal = AbortSignal.timeout(opts.timeoutMs);
  let url = new URL(raw);
  for (let hop = 0; ; hop++) {
    const why = await refuseOutboundUrl(url, opts.allowPrivate, 'media URL');
    if (why) throw new Errors.badRequest(why);
    let res: Response;
    try {
      res = await fetch(url, { redirect: 'manual', signal });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const reason = e.name === 'TimeoutError' || e.name === 'AbortError' ? `timed out after ${opts.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
      throw new Errors.badRequest(`media URL could not be fetched: ${reason}`);
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      if (hop >= MAX_REDIRECTS) throw new Errors.badRequest('media URL redirects too many times');
      url = new URL(location, url);
      continue;
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new Errors.badRequest(`media URL could not be fetched: it answered ${res.status}`);
    }
    const length = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(length) && length > opts.maxBytes) {
      await res.body.cancel();
      throw new Errors.mediaTooLarge(opts.maxBytes);
    }
    const type = res.headers.get('content-type')?.split(';')[0]?.trim();
    const last = decodeURIComponent(url.pathname.split('/').pop() ?? '');
    const stream = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    // A body that stalls past the deadline fails the store write, not the process.
    stream.on('error', () => undefined);
    return { stream, mimetype: type && type !== 'application/octet-stream' ? type : undefined, fileName: last || undefined };
  }
}

/** `media` as the commands take it: an http(s) URL, a data URL, or plain base64. */
export async function openMediaSource(media: string, opts: FetchOptions): Promise<MediaSource> {
  if (/^https?:\/\//i.test(media)) return fromUrl(media, opts);
  const data = DATA_URL.exec(media);
  if (data) {
    if (!data[3]) throw new Errors.badRequest('a data: URL for media must be base64 (";base64,")');
    return { stream: fromBase64(media.slice(data[0].length), opts.maxBytes), mimetype: data[1] };
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(media) && !BASE64.test(media)) throw new Errors.badRequest('media URL must be http or https');
  return { stream: fromBase64(media, opts.maxBytes) };
}
