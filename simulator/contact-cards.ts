import type { proto } from '@whiskeysockets/baileys';

/** A contact card as the receiving phone shows it: the name WhatsApp displays and what the vCard says. */
export interface ContactCard {
  /** The message's own `displayName`; WhatsApp shows "Contact" when it is missing. */
  displayName: string | null;
  fn: string | null;
  /** The `N` components: family, given, additional, prefix, suffix. */
  n: string[] | null;
  /** The WhatsApp number of the first `TEL` that names one (`waid=`). */
  waid: string | null;
}

/** Splits on separators that are not escaped (none without one), then unescapes each part (RFC 6350 §3.4). */
function splitValue(value: string, separator?: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && i + 1 < value.length) {
      const next = value[++i]!;
      current += next === 'n' || next === 'N' ? '\n' : next;
    } else if (c === separator) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

function readVcard(vcard: string): Omit<ContactCard, 'displayName'> {
  // Folded lines continue with a space or a tab.
  const lines = vcard.replace(/\r?\n[ \t]/g, '').split(/\r?\n/);
  const card: Omit<ContactCard, 'displayName'> = { fn: null, n: null, waid: null };
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const [name = '', ...params] = line.slice(0, colon).split(';');
    const value = line.slice(colon + 1);
    const key = name.toUpperCase();
    if (key === 'FN' && card.fn === null) card.fn = splitValue(value)[0]!;
    else if (key === 'N' && card.n === null) card.n = splitValue(value, ';');
    else if (key === 'TEL' && card.waid === null) {
      const waid = params.find(p => p.toLowerCase().startsWith('waid='));
      if (waid) card.waid = waid.slice(5);
    }
  }
  return card;
}

/** The cards of a contact or contacts-array message; undefined for any other message. */
export function contactCardsOf(message: proto.IMessage): ContactCard[] | undefined {
  const cards = message.contactMessage ? [message.contactMessage] : message.contactsArrayMessage?.contacts;
  if (!cards) return undefined;
  return cards.map(c => ({ displayName: c.displayName || null, ...readVcard(c.vcard ?? '') }));
}
