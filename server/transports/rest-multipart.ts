import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CommandName } from '../../protocol/index.js';
import type { Attachment } from '../commands/command-layer.js';
import { Errors } from '../errors.js';
import type { MediaService } from '../media/media-service.js';
import { propertiesOf } from './rest-args.js';

/** Commands whose JSON body may carry a whole file as base64. */
export const MEDIA_COMMANDS = new Set<CommandName>(['message.sendMedia', 'queue.create']);

/** Base64 of MEDIA_MAX_BYTES, plus room for the other fields. */
export const mediaBodyLimit = (maxBytes: number): number => Math.ceil(maxBytes / 3) * 4 + 64 * 1024;

/** The multipart parser, for message.sendMedia's `file` part; other routes keep JSON only. */
export async function registerMultipart(app: FastifyInstance, maxBytes: number): Promise<void> {
  await app.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 16, fieldSize: 65_536 + 1024, parts: 17 } });
}

/**
 * A multipart message.sendMedia: the `file` part streams straight into the media
 * store (hashed on the way, never held whole), every other part is an argument by
 * its name. Booleans arrive as text and become booleans where the schema takes one,
 * as query strings do; the command layer then checks everything as on any transport.
 */
export async function multipartArgs(req: FastifyRequest, media: MediaService): Promise<{ args: Record<string, unknown>; attachment: Attachment }> {
  const properties = propertiesOf('message.sendMedia');
  const args: Record<string, unknown> = {};
  let attachment: Attachment | undefined;
  try {
    await readParts();
  } catch (err) {
    if (attachment) media.discard(attachment.file);
    throw err;
  }
  if (!attachment) throw new Errors.badRequest('a multipart send needs a file part named "file"');
  return { args, attachment };

  async function readParts(): Promise<void> {
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file' || attachment) {
          part.file.resume();
          throw new Errors.badRequest(`one file part named "file" is taken, not "${part.fieldname}"`);
        }
        const file = await media.store.put(part.file, { maxBytes: media.maxBytes });
        const type = part.mimetype && part.mimetype !== 'application/octet-stream' ? part.mimetype : undefined;
        // Set before the checks below, so a refused part is discarded with it.
        attachment = { file: { ...file, mimetype: type, fileName: part.filename || undefined } };
        if (part.file.truncated) throw new Errors.mediaTooLarge(media.maxBytes);
        if (!file.bytes) throw new Errors.badRequest('the file part is empty');
        continue;
      }
      const value = part.value;
      const isFlag = Object.hasOwn(properties, part.fieldname) && properties[part.fieldname]!.type === 'boolean';
      args[part.fieldname] = isFlag && (value === 'true' || value === 'false') ? value === 'true' : value;
    }
  }
}
