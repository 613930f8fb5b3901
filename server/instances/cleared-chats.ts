import {
  decodeSyncdMutations,
  getBinaryNodeChild,
  getBinaryNodeChildren,
  newLTHashState,
  proto,
  type BinaryNode,
  type SignalKeyStore,
  type WASocket
} from '@whiskeysockets/baileys';
import type { Logger } from 'pino';

/**
 * Baileys 7.0.0-rc14 decodes a `clearChat` app-state mutation and drops it
 * ("unprocessable update" in `processSyncAction`), so a chat cleared on the phone
 * never reaches `messages.delete`. This reads the app-state patches WhatsApp sends
 * (the `w:sync:app:state` replies) with Baileys' own decoder and reports every
 * cleared chat. MACs are not checked here: Baileys checks them on the same patches.
 */
export function watchClearedChats(sock: WASocket, keys: SignalKeyStore, onCleared: (jid: string) => void, logger: Logger): void {
  const getKey = async (id: string) => (await keys.get('app-state-sync-key', [id]))[id];
  sock.ws.on('frame', (frame: BinaryNode | Uint8Array) => {
    if (frame instanceof Uint8Array || frame.tag !== 'iq' || frame.attrs.type !== 'result') return;
    const patches = syncPatches(frame);
    if (!patches.length) return;
    void (async () => {
      for (const patch of patches) {
        await decodeSyncdMutations(
          patch.mutations ?? [],
          newLTHashState(),
          getKey,
          ({ index }) => {
            if (index[0] === 'clearChat' && index[1]) onCleared(index[1]);
          },
          false
        );
      }
    })().catch(err => logger.warn({ err }, 'could not read app-state patches for cleared chats'));
  });
}

function syncPatches(iq: BinaryNode): proto.SyncdPatch[] {
  const out: proto.SyncdPatch[] = [];
  for (const collection of getBinaryNodeChildren(getBinaryNodeChild(iq, 'sync'), 'collection')) {
    const holder = getBinaryNodeChild(collection, 'patches') ?? collection;
    for (const patch of getBinaryNodeChildren(holder, 'patch')) {
      if (patch.content instanceof Uint8Array) out.push(proto.SyncdPatch.decode(patch.content));
    }
  }
  return out;
}
