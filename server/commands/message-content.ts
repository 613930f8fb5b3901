import { jidNormalizedUser, type AnyMessageContent, type WASocket } from '@whiskeysockets/baileys';

/** A number in any common notation, or a JID, as the JID WhatsApp wants. */
export function toJid(number: string): string {
  if (number.includes('@')) return number;
  return `${number.replace(/\D/g, '')}@s.whatsapp.net`;
}

export interface LocationArgs {
  latitude: number;
  longitude: number;
  name?: string;
  address?: string;
}

export interface ContactCardArgs {
  fullName: string;
  phoneNumber: string;
  organization?: string;
}

/** Baileys content for a location pin. */
export const locationContent = (l: LocationArgs): AnyMessageContent => ({
  location: { degreesLatitude: l.latitude, degreesLongitude: l.longitude, name: l.name, address: l.address }
});

/** A vCard text value: its separators and line breaks escaped, so a name cannot add lines or fields. */
const vcardText = (v: string) => v.replace(/[\\;,]/g, c => `\\${c}`).replace(/\r?\n|\r/g, '\\n');

/** vCard `N` (family;given;additional;prefix;suffix) from a full name: the last word is taken as the family name. */
function structuredName(fullName: string): string {
  const words = fullName.trim().split(/\s+/);
  const family = words.length > 1 ? words.pop()! : '';
  return `${vcardText(family)};${vcardText(words.join(' '))};;;`;
}

/**
 * Baileys content for a contact card. The name goes inside the contact as well:
 * for a single card Baileys sends only `contacts[0]`, so a top-level
 * `displayName` alone never leaves and WhatsApp shows a generic "Contact".
 * `N` is there because some clients read no `FN`; `waid` lets WhatsApp offer "message".
 */
export function contactContent(c: ContactCardArgs): AnyMessageContent {
  const digits = c.phoneNumber.replace(/\D/g, '');
  const vcard = [
    'BEGIN:VCARD',
    'VERSION:3.0',
    `N:${structuredName(c.fullName)}`,
    `FN:${vcardText(c.fullName)}`,
    ...(c.organization ? [`ORG:${vcardText(c.organization)};`] : []),
    `TEL;type=CELL;waid=${digits}:+${digits}`,
    'END:VCARD'
  ].join('\n');
  return { contacts: { displayName: c.fullName, contacts: [{ displayName: c.fullName, vcard }] } };
}

/** Asks WhatsApp which of these numbers exist, in one request; answers each number's JID or null. */
export async function lookUpNumbers(sock: WASocket, numbers: string[]): Promise<Map<string, string | null>> {
  const found = (await sock.onWhatsApp(...numbers.map(toJid))) ?? [];
  const out = new Map<string, string | null>();
  for (const number of numbers) {
    const wanted = toJid(number);
    const hit = found.find(f => f.exists && jidNormalizedUser(f.jid) === wanted);
    out.set(number, hit ? hit.jid : null);
  }
  return out;
}
