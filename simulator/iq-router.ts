import { getBinaryNodeChild, getBinaryNodeChildren, jidDecode, type BinaryNode } from '@whiskeysockets/baileys';
import type { SimAccount } from './account.js';
import { AppStateRefusal } from './app-state.js';
import { answerGroupIq } from './group-iq.js';
import type { Companion } from './model.js';

/** What an IQ handler may use of its connection. */
export interface IqContext {
  account: SimAccount;
  companion: Companion;
  pictureUrl(phone: string): string;
  /** The `<media_conn>` answer: upload auth for this account and the media host. */
  mediaConn(): BinaryNode;
  /** Runs once the `passive active` IQ is answered: the client is ready for its offline queue. */
  onActive(): void;
  /** The client unlinked itself (logout). */
  onRemoveCompanion(): void;
}

type Answer = BinaryNode[] | BinaryNode | undefined;
type Handler = (iq: BinaryNode, ctx: IqContext) => Answer | Promise<Answer>;
const node = (tag: string, attrs: Record<string, string>): BinaryNode => ({ tag, attrs });

const children = (node: BinaryNode | undefined): BinaryNode[] => (Array.isArray(node?.content) ? node.content : []);
const text = (node: BinaryNode | undefined): string =>
  node?.content instanceof Uint8Array ? Buffer.from(node.content).toString() : typeof node?.content === 'string' ? node.content : '';

const readBigEndian = (buf: Uint8Array): number => buf.reduce((acc, byte) => acc * 256 + byte, 0);

/** Stores the pre-key bundle the client uploads: simulated devices encrypt to it. */
const uploadPreKeys: Handler = (iq, { companion }) => {
  const list = getBinaryNodeChild(iq, 'list');
  for (const key of getBinaryNodeChildren(list, 'key')) {
    const id = getBinaryNodeChild(key, 'id')?.content;
    const value = getBinaryNodeChild(key, 'value')?.content;
    if (id instanceof Uint8Array && value instanceof Uint8Array) {
      companion.bundle.preKeys.push({ keyId: readBigEndian(id), publicKey: Buffer.from(value) });
    }
  }
  const skey = getBinaryNodeChild(iq, 'skey');
  const id = getBinaryNodeChild(skey, 'id')?.content;
  const value = getBinaryNodeChild(skey, 'value')?.content;
  const signature = getBinaryNodeChild(skey, 'signature')?.content;
  if (id instanceof Uint8Array && value instanceof Uint8Array && signature instanceof Uint8Array) {
    companion.bundle.signedPreKey = { keyId: readBigEndian(id), publicKey: Buffer.from(value), signature: Buffer.from(signature) };
  }
  return undefined;
};

/** Answers key-bundle fetches for the own phone and contacts; unknown users get a 404 entry. */
const fetchKeys: Handler = (iq, { account }) => {
  const users = getBinaryNodeChildren(getBinaryNodeChild(iq, 'key'), 'user');
  return {
    tag: 'list',
    attrs: {},
    content: users.map(user => {
      const jid = user.attrs.jid ?? '';
      const party = account.party(jid);
      if (!party || (party.kind === 'contact' && !party.contact.onWhatsApp)) {
        return { tag: 'user', attrs: { jid }, content: [{ tag: 'error', attrs: { code: '404', text: 'not-found' } }] };
      }
      return account.deviceOf(party).bundleNode(jid);
    })
  };
};

const encrypt: Handler = (iq, ctx) => {
  const first = children(iq)[0];
  switch (first?.tag) {
    case 'count':
      return { tag: 'count', attrs: { value: String(ctx.companion.bundle.preKeys.length) } };
    case 'digest':
      // Without a <digest/> child Baileys re-uploads its pre-keys on every login.
      return { tag: 'digest', attrs: {} };
    case 'key':
      return fetchKeys(iq, ctx);
    case 'registration':
    case 'list':
      return uploadPreKeys(iq, ctx);
    default:
      return undefined;
  }
};

/** usync: contact (onWhatsApp), devices, lid, status; answers only the protocols asked for. */
const usync: Handler = (iq, { account }) => {
  const usyncNode = getBinaryNodeChild(iq, 'usync');
  const protocols = children(getBinaryNodeChild(usyncNode, 'query')).map(p => p.tag);
  const users = getBinaryNodeChildren(getBinaryNodeChild(usyncNode, 'list'), 'user');
  const list = users.map(user => {
    const asked = getBinaryNodeChild(user, 'contact');
    // A number WhatsApp knows under another JID is answered with that JID.
    const phone = asked ? account.canonicalPhone(text(asked).replace(/\D/g, '')) : undefined;
    const jid = user.attrs.jid ?? `${phone}@s.whatsapp.net`;
    const party = account.party(jid);
    const onWhatsApp = !!party && (party.kind === 'phone' || party.contact.onWhatsApp);
    const decoded = jidDecode(jid);
    const content: BinaryNode[] = [];
    for (const protocol of protocols) {
      // As WhatsApp does, the answer echoes the query: the only tie to the number asked when the JID differs.
      if (protocol === 'contact') content.push({ tag: 'contact', attrs: { type: onWhatsApp ? 'in' : 'out' }, ...(asked ? { content: Buffer.from(text(asked)) } : {}) });
      if (protocol === 'devices') {
        const devices = onWhatsApp ? [{ tag: 'device', attrs: { id: '0' } }] : [];
        content.push({ tag: 'devices', attrs: {}, content: [{ tag: 'device-list', attrs: {}, content: devices }] });
      }
      if (protocol === 'lid' && onWhatsApp && decoded?.server === 's.whatsapp.net' && party) {
        const lid = party.kind === 'phone' ? account.lidJid : party.contact.lidJid;
        content.push({ tag: 'lid', attrs: { val: lid } });
      }
      if (protocol === 'status' && onWhatsApp) content.push({ tag: 'status', attrs: { t: '0' }, content: Buffer.from('Hey there!') });
      if (protocol === 'disappearing_mode') content.push({ tag: 'disappearing_mode', attrs: { duration: '0', t: '0' } });
    }
    return { tag: 'user', attrs: { jid: decoded ? jid : `${phone}@s.whatsapp.net` }, content };
  });
  return {
    tag: 'usync',
    attrs: { ...usyncNode?.attrs },
    content: [
      { tag: 'result', attrs: {}, content: protocols.map(p => ({ tag: p, attrs: {} })) },
      { tag: 'list', attrs: {}, content: list }
    ]
  };
};

const picture: Handler = (iq, { account, pictureUrl }) => {
  const target = iq.attrs.target ?? '';
  const party = account.party(target);
  const type = getBinaryNodeChild(iq, 'picture')?.attrs.type ?? 'preview';
  if (!party || (party.kind === 'contact' && (!party.contact.picture || !party.contact.onWhatsApp))) {
    return node('error', { code: '404', text: 'item-not-found' });
  }
  const phone = party.kind === 'phone' ? account.phone : party.contact.phone;
  const id = party.kind === 'phone' ? 1 : party.contact.pictureId;
  return node('picture', { id: String(id), type, url: `${pictureUrl(phone)}?type=${type}&id=${id}` });
};

/** Patches after the client's versions, or the client's own patch checked and applied. */
const appState: Handler = async (iq, { account }) => {
  try {
    return await account.appState.answerSync(iq);
  } catch (err) {
    if (err instanceof AppStateRefusal) return node('error', { code: String(err.code), text: err.message });
    throw err;
  }
};

const handlers: Record<string, Handler> = {
  encrypt,
  usync,
  'w:profile:picture': picture,
  'w:sync:app:state': appState,
  'w:g2': (iq, { account }) => answerGroupIq(iq, account),
  'w:m': (iq, ctx) => (getBinaryNodeChild(iq, 'media_conn') ? ctx.mediaConn() : undefined),
  abt: () => ({ tag: 'props', attrs: { protocol: '1', hash: 'sim' }, content: [] }),
  blocklist: () => ({ tag: 'list', attrs: {} }),
  privacy: iq =>
    iq.attrs.type === 'get'
      ? {
          tag: 'privacy',
          attrs: {},
          content: ['last', 'online', 'profile', 'status', 'readreceipts', 'groupadd'].map(name => ({
            tag: 'category',
            attrs: { name, value: 'all' }
          }))
        }
      : undefined,
  passive: (_iq, ctx) => {
    // Answer first, then deliver: the client processes frames in order.
    queueMicrotask(ctx.onActive);
    return undefined;
  },
  md: (iq, ctx) => {
    if (getBinaryNodeChild(iq, 'remove-companion-device')) queueMicrotask(ctx.onRemoveCompanion);
    return undefined;
  }
};

/**
 * Answers every IQ: a handler's content, or an empty result. An unanswered IQ
 * stalls Baileys for its 60 s query timeout, so nothing is ever left silent.
 */
export async function answerIq(iq: BinaryNode, ctx: IqContext): Promise<BinaryNode> {
  const handler = handlers[iq.attrs.xmlns ?? ''];
  const content = await handler?.(iq, ctx);
  const items = content === undefined ? undefined : Array.isArray(content) ? content : [content];
  const isError = items?.length === 1 && items[0]?.tag === 'error';
  return {
    tag: 'iq',
    attrs: { id: iq.attrs.id ?? '', type: isError ? 'error' : 'result', from: iq.attrs.to ?? 's.whatsapp.net' },
    content: items
  };
}
