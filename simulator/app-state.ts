import { randomBytes } from 'node:crypto';
import {
  chatModificationToAppPatch,
  decodePatches,
  encodeSyncdPatch,
  newLTHashState,
  proto,
  type BinaryNode,
  type ChatModification,
  type LTHashState,
  type WAPatchName
} from '@whiskeysockets/baileys';

/** The collections WhatsApp keeps app state in (Baileys' `ALL_WA_PATCH_NAMES`). */
export const COLLECTIONS = ['critical_block', 'critical_unblock_low', 'regular_high', 'regular_low', 'regular'] as const satisfies readonly WAPatchName[];

/** What the account's app state says about one chat. */
export interface ChatAppState {
  jid: string;
  archived: boolean;
  /** Unix seconds (WhatsApp stores milliseconds); null when not muted. */
  mutedUntil: number | null;
  pinned: boolean;
  /** Marked unread by hand (WhatsApp's "mark as unread"); false once marked read. */
  unread: boolean;
  deleted: boolean;
  cleared: boolean;
  deletedMessages: { id: string; fromMe: boolean }[];
}

export interface ContactAppState {
  jid: string;
  fullName: string | null;
  firstName: string | null;
  lidJid: string | null;
}

/** One applied mutation, in order, with who made it. */
export interface AppliedMutation {
  collection: WAPatchName;
  version: number;
  index: string[];
  source: 'phone' | 'client';
}

interface Collection {
  state: LTHashState;
  /** Every patch since version 0, each carrying its version: a client at version v is sent those after v. */
  patches: proto.ISyncdPatch[];
}

type SyncActionValue = proto.ISyncActionValue | null | undefined;

/** A client patch the server refuses; the IQ is answered with this error code. */
export class AppStateRefusal extends Error {
  constructor(
    readonly code: number,
    message: string
  ) {
    super(message);
  }
}

const isCollection = (name: string): name is WAPatchName => (COLLECTIONS as readonly string[]).includes(name);

/**
 * An account's app state as WhatsApp's server holds it: one app-state sync key
 * (shared with the client by the phone), and per collection the LTHash state and
 * the patches that led to it. Patches are built, checked and decoded with
 * Baileys' own codecs, so the MACs are exactly what a real client verifies.
 */
export class AppState {
  readonly keyId = randomBytes(6);
  private readonly keyData: proto.Message.IAppStateSyncKeyData = {
    keyData: randomBytes(32),
    fingerprint: { rawId: randomBytes(4).readUInt32BE(0), currentIndex: 1, deviceIndexes: [0] },
    timestamp: Date.now()
  };
  private readonly collections = new Map<WAPatchName, Collection>(COLLECTIONS.map(name => [name, { state: newLTHashState(), patches: [] }]));
  private readonly chats = new Map<string, ChatAppState>();
  private readonly contacts = new Map<string, ContactAppState>();
  readonly mutations: AppliedMutation[] = [];
  // One sync at a time: each patch builds on the LTHash the one before it left.
  private chain: Promise<unknown> = Promise.resolve();

  private readonly getKey = async (id: string) => (id === this.keyId.toString('base64') ? this.keyData : undefined);

  /** The phone's `APP_STATE_SYNC_KEY_SHARE`: without it the client cannot read or write app state. */
  keyShare(): proto.IMessage {
    return {
      protocolMessage: {
        type: proto.Message.ProtocolMessage.Type.APP_STATE_SYNC_KEY_SHARE,
        appStateSyncKeyShare: { keys: [{ keyId: { keyId: this.keyId }, keyData: this.keyData }] }
      }
    };
  }

  version(name: WAPatchName): number {
    return this.collection(name).state.version;
  }

  /** The user did `mod` to `jid` on the phone; answers the collection it changed and its new version. */
  phoneChange(mod: ChatModification, jid: string): Promise<{ collection: WAPatchName; version: number }> {
    return this.serial(async () => {
      const create = chatModificationToAppPatch(mod, jid);
      const collection = this.collection(create.type);
      const { patch, state } = await encodeSyncdPatch(create, this.keyId.toString('base64'), collection.state, this.getKey);
      collection.state = state;
      collection.patches.push({ ...patch, version: { version: state.version } });
      this.apply(create.type, state.version, create.index, create.syncAction, create.operation, 'phone');
      return { collection: create.type, version: state.version };
    });
  }

  /**
   * Answers a `w:sync:app:state` IQ: a collection with a `<patch>` is the client's
   * own change, checked (patch MAC, then the LTHash snapshot MAC) and applied;
   * one without asks for every patch after its version.
   */
  answerSync(iq: BinaryNode): Promise<BinaryNode> {
    return this.serial(async () => {
      const sync = childNodes(iq).find(n => n.tag === 'sync');
      const out: BinaryNode[] = [];
      for (const asked of childNodes(sync).filter(n => n.tag === 'collection')) {
        const name = asked.attrs.name ?? '';
        if (!isCollection(name)) {
          // Echo unknown names too: a collection missing from the reply is re-queried forever.
          out.push({ tag: 'collection', attrs: { name, version: asked.attrs.version ?? '0' } });
          continue;
        }
        const pushed = childNodes(asked).find(n => n.tag === 'patch');
        if (pushed?.content instanceof Uint8Array) {
          out.push(await this.clientPatch(name, Number(asked.attrs.version ?? 0), pushed.content));
          continue;
        }
        out.push(this.patchesAfter(name, Number(asked.attrs.version ?? 0)));
      }
      return { tag: 'sync', attrs: {}, content: out };
    });
  }

  /** The decoded app state, for tests to assert what the client wrote. */
  view(): { collections: Record<string, number>; chats: ChatAppState[]; contacts: ContactAppState[]; mutations: AppliedMutation[] } {
    return {
      collections: Object.fromEntries(COLLECTIONS.map(name => [name, this.version(name)])),
      chats: [...this.chats.values()].map(c => ({ ...c, deletedMessages: [...c.deletedMessages] })),
      contacts: [...this.contacts.values()].map(c => ({ ...c })),
      mutations: [...this.mutations]
    };
  }

  private patchesAfter(name: WAPatchName, version: number): BinaryNode {
    const collection = this.collection(name);
    const patches = collection.patches
      .filter(p => Number(p.version?.version ?? 0) > version)
      .map(p => ({ tag: 'patch', attrs: {}, content: proto.SyncdPatch.encode(p).finish() }));
    return {
      tag: 'collection',
      attrs: { name, version: String(collection.state.version) },
      content: patches.length ? [{ tag: 'patches', attrs: {}, content: patches }] : undefined
    };
  }

  private async clientPatch(name: WAPatchName, baseVersion: number, bytes: Uint8Array): Promise<BinaryNode> {
    const collection = this.collection(name);
    // A client behind the server must first fetch what it missed.
    if (baseVersion !== collection.state.version) throw new AppStateRefusal(409, `${name} is at v${collection.state.version}, not v${baseVersion}`);
    const patch = proto.SyncdPatch.decode(bytes);
    const version = collection.state.version + 1;
    const rejected: string[] = [];
    // decodePatches skips a bad patch with a warning instead of throwing: the warning is the refusal.
    const logger = { warn: (_obj: unknown, msg: string) => rejected.push(msg), info: () => {}, debug: () => {}, trace: () => {} };
    const decoded = await decodePatches(
      name,
      // decodePatches empties the mutations it read: give it its own copy.
      [{ ...proto.SyncdPatch.decode(bytes), version: { version } }],
      collection.state,
      this.getKey,
      {},
      undefined,
      logger as never,
      true
    ).catch((err: Error) => {
      // A key the server never shared, or a record that does not decode.
      throw new AppStateRefusal(400, err.message);
    });
    const { state, mutationMap } = decoded;
    if (rejected.length || !Object.keys(mutationMap).length) throw new AppStateRefusal(400, rejected[0] ?? `${name} patch has no mutation`);
    collection.state = state;
    collection.patches.push({ ...patch, version: { version } });
    for (const { syncAction, index } of Object.values(mutationMap)) {
      this.apply(name, version, index, syncAction.value, proto.SyncdMutation.SyncdOperation.SET, 'client');
    }
    return { tag: 'collection', attrs: { name, version: String(version) } };
  }

  private apply(
    collection: WAPatchName,
    version: number,
    index: string[],
    action: SyncActionValue,
    operation: proto.SyncdMutation.SyncdOperation,
    source: AppliedMutation['source']
  ): void {
    this.mutations.push({ collection, version, index, source });
    const [type, jid = '', msgId, fromMe] = index;
    if (type === 'contact') {
      if (operation === proto.SyncdMutation.SyncdOperation.REMOVE) this.contacts.delete(jid);
      else {
        const c = action?.contactAction;
        this.contacts.set(jid, { jid, fullName: c?.fullName ?? null, firstName: c?.firstName ?? null, lidJid: c?.lidJid ?? null });
      }
      return;
    }
    // Settings (push name, locale...) are recorded as mutations only; they name no chat.
    if (!jid) return;
    const chat = this.chat(jid);
    if (action?.archiveChatAction) chat.archived = !!action.archiveChatAction.archived;
    else if (action?.muteAction) chat.mutedUntil = action.muteAction.muted ? Math.floor(Number(action.muteAction.muteEndTimestamp ?? 0) / 1000) : null;
    else if (action?.pinAction) chat.pinned = !!action.pinAction.pinned;
    else if (action?.markChatAsReadAction) chat.unread = !action.markChatAsReadAction.read;
    else if (action?.clearChatAction) chat.cleared = true;
    else if (action?.deleteChatAction) chat.deleted = true;
    else if (action?.deleteMessageForMeAction && msgId) chat.deletedMessages.push({ id: msgId, fromMe: fromMe === '1' });
  }

  private chat(jid: string): ChatAppState {
    let chat = this.chats.get(jid);
    if (!chat) {
      chat = { jid, archived: false, mutedUntil: null, pinned: false, unread: false, deleted: false, cleared: false, deletedMessages: [] };
      this.chats.set(jid, chat);
    }
    return chat;
  }

  private collection(name: WAPatchName): Collection {
    return this.collections.get(name)!;
  }

  private serial<T>(run: () => Promise<T>): Promise<T> {
    const next = this.chain.then(run);
    this.chain = next.catch(() => undefined);
    return next;
  }
}

const childNodes = (node: BinaryNode | undefined): BinaryNode[] => (Array.isArray(node?.content) ? node.content : []);

/** Tells the client a collection changed on the server; Baileys answers by resyncing it. */
export function serverSyncNotification(collection: WAPatchName, id: string): BinaryNode {
  return {
    tag: 'notification',
    attrs: { from: 's.whatsapp.net', type: 'server_sync', id, t: String(Math.floor(Date.now() / 1000)) },
    content: [{ tag: 'collection', attrs: { name: collection, version: '0' } }]
  };
}
