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

/** Baileys content for a contact card: a vCard whose `waid` lets WhatsApp offer "message". */
export function contactContent(c: ContactCardArgs): AnyMessageContent {
  const digits = c.phoneNumber.replace(/\D/g, '');
  const vcard = [
    'BEGIN:VCARD',
    'VERSION:3.0',
    `FN:${c.fullName}`,
    ...(c.organization ? [`ORG:${c.organization};`] : []),
    `TEL;type=CELL;type=VOICE;waid=${digits}:+${digits}`,
    'END:VCARD'
  ].join('\n');
  return { contacts: { displayName: c.fullName, contacts: [{ vcard }] } };
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
