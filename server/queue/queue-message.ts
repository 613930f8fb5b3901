import type { Static } from 'typebox';
import type { QueueMediaInput, QueueMessageInput } from '../../protocol/index.js';

/**
 * A bulk send's media as the queue row keeps it: the file was taken into the
 * media store at queue.create, so the row names it by digest instead of holding
 * the URL or the base64 it came as; every recipient sends that one file.
 */
export type QueuedMedia = Omit<Static<typeof QueueMediaInput>, 'media'> & { sha256: string; mimetype: string; fileLength: number };

/** What a queue row's `message` holds: the input as given, media taken in. */
export type QueueMessage = Exclude<Static<typeof QueueMessageInput>, { media: unknown }> | { media: QueuedMedia };
