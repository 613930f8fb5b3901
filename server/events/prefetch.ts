import { jidNormalizedUser, type WASocket } from '@whiskeysockets/baileys';
import type { BaileysEvent } from '../instances/instance-session.js';
import { lidsIn, picturesIn, type TranslateContext } from './translate.js';

/** Where the answers come from: the session's Baileys socket, while it has one. */
export interface PrefetchSource {
  lidMapping?: WASocket['signalRepository']['lidMapping'];
  /** The open socket, to ask WhatsApp for picture URLs. */
  socket?: WASocket;
}

/**
 * Everything a translation must know that only an asynchronous call answers:
 * the phone number behind each LID the event names, and the new URL of each
 * picture that changed. Gathered first, so translating stays synchronous inside
 * its transaction.
 */
export async function prefetch(event: BaileysEvent, source: PrefetchSource): Promise<Pick<TranslateContext, 'lookup' | 'pictures'>> {
  const lookup = new Map<string, string>();
  const pictures = new Map<string, string | null>();
  const { lidMapping, socket } = source;
  const lids = lidsIn(event);
  await Promise.all([
    ...(lidMapping
      ? lids.map(async lid => {
          const pn = await lidMapping.getPNForLID(lid).catch(() => null);
          if (pn) lookup.set(jidNormalizedUser(lid), jidNormalizedUser(pn));
        })
      : []),
    ...(socket
      ? picturesIn(event).map(async id => {
          // A contact that removed its picture, or hides it from us, answers 404: no picture to show.
          const url = await socket.profilePictureUrl(id, 'image').catch((err: { output?: { statusCode?: number } }) =>
            err?.output?.statusCode === 404 ? null : undefined
          );
          if (url !== undefined) pictures.set(id, url);
        })
      : [])
  ]);
  return { lookup, pictures };
}
