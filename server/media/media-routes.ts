import { createReadStream } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { assertMayUse, type CurrentId } from '../auth/principal.js';
import { Errors } from '../errors.js';
import type { Authenticator } from '../transports/authenticate.js';
import type { MediaService } from './media-service.js';
import type { MediaSigner } from './media-signing.js';

export interface MediaRouteDeps {
  media: MediaService;
  signer: MediaSigner;
  authenticate: Authenticator;
  currentId: CurrentId;
}

/** One byte range of a file of `size` bytes, from a Range header; null for the whole file, 'unsatisfiable' for 416. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | 'unsatisfiable' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Several ranges (multipart/byteranges) or a unit we do not know: the whole file, as RFC 9110 allows.
  if (!m || (!m[1] && !m[2])) return null;
  if (!m[1]) {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

/**
 * GET /media/:instance/:messageId: a message's bytes with their content type,
 * streamed from the store, with Range support. Opened by the `apikey` header like
 * every route, or by a signed URL from `media.url` (for an `<img src>` or a
 * webhook consumer, which cannot send headers).
 */
export async function mediaRoutes(app: FastifyInstance, deps: MediaRouteDeps): Promise<void> {
  app.get<{ Params: { instance: string; messageId: string }; Querystring: { expires?: string; sig?: string } }>(
    '/media/:instance/:messageId',
    { schema: { hide: true } },
    async (req, reply) => {
      const { instance, messageId } = req.params;
      const signed = req.query.sig !== undefined && deps.signer.verify(instance, messageId, req.query.expires, req.query.sig);
      if (!signed) {
        const principal = deps.authenticate(req.headers.apikey);
        if (!principal) throw new Errors.unauthorized();
        assertMayUse(deps.currentId, principal, instance);
      }
      const instanceId = deps.currentId(instance);
      if (!instanceId) throw new Errors.instanceNotFound(instance);
      const row = deps.media.storage.media.get(instanceId, messageId);
      if (!row) throw new Errors.mediaNotFound(messageId);
      const ready = await deps.media.ensureStored(instance, row);
      const path = deps.media.store.pathOf(ready.sha256);
      const size = deps.media.store.size(ready.sha256);
      if (size === undefined) throw new Errors.mediaNotFound(messageId);
      const range = parseRange(req.headers.range, size);
      void reply
        .header('content-type', ready.mimetype)
        .header('accept-ranges', 'bytes')
        .header('etag', `"${ready.sha256}"`)
        .header('cache-control', 'private, max-age=86400');
      if (range === 'unsatisfiable') return reply.status(416).header('content-range', `bytes */${size}`).send();
      if (!range) return reply.header('content-length', String(size)).send(createReadStream(path));
      return reply
        .status(206)
        .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
        .header('content-length', String(range.end - range.start + 1))
        .send(createReadStream(path, { start: range.start, end: range.end }));
    }
  );
}
