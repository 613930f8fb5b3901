import {
  areJidsSameUser,
  isJidGroup,
  isLidUser,
  jidNormalizedUser,
  USyncContactProtocol,
  USyncQuery,
  USyncUser,
  type AnyMessageContent,
  type BinaryNode,
  type WASocket
} from '@whiskeysockets/baileys';

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

/** Groups and LIDs are not phone numbers: WhatsApp's number check cannot answer for them, so they are sent to as given. */
export const skipsNumberCheck = (jid: string): boolean => isJidGroup(jid) === true || isLidUser(jid) === true;

const digits = (s: string): string => s.replace(/\D/g, '');

/** Baileys does not export its protocol interface; this is its shape. */
type USyncQueryProtocol = USyncQuery['protocols'][number];

/**
 * Baileys' contact protocol keeps only `type="in"` of each answer and drops the
 * query WhatsApp echoes back in the `<contact>` node. That echo is what ties an
 * answer to the number asked when WhatsApp answers with another JID than the one
 * the digits spell (Brazil's 9th digit: 5531 9XXXX-XXXX is known as 5531XXXXXXXX).
 */
class EchoingContactProtocol implements USyncQueryProtocol {
  private readonly contact = new USyncContactProtocol();
  readonly name = this.contact.name;
  getQueryElement = () => this.contact.getQueryElement();
  getUserElement = (user: USyncUser) => this.contact.getUserElement(user);
  // An arrow: Baileys calls parsers unbound.
  parser = (node: BinaryNode): { exists: boolean; query: string | null } => {
    const exists = this.contact.parser(node);
    const content = node.content;
    const query = content instanceof Uint8Array ? Buffer.from(content).toString() : typeof content === 'string' ? content : null;
    return { exists, query };
  };
}

/**
 * Asks WhatsApp which of these numbers exist, in one request. Each answer is
 * matched to its number by the query WhatsApp echoes, else by the JID it returns
 * (`areJidsSameUser`), and each number gets the JID WhatsApp returned, or null.
 */
export async function lookUpNumbers(sock: WASocket, numbers: string[]): Promise<Map<string, string | null>> {
  const query = new USyncQuery();
  query.protocols.push(new EchoingContactProtocol());
  for (const number of numbers) query.withUser(new USyncUser().withPhone(`+${digits(number)}`));
  const result = await sock.executeUSyncQuery(query);
  const answers = (result?.list ?? []).map(a => ({ jid: a.id, ...(a.contact as { exists: boolean; query: string | null } | undefined) }));
  const out = new Map<string, string | null>();
  for (const number of numbers) {
    const hit =
      answers.find(a => a.query !== null && a.query !== undefined && digits(a.query) === digits(number)) ??
      answers.find(a => (a.query === null || a.query === undefined) && areJidsSameUser(a.jid, toJid(number)));
    out.set(number, hit?.exists ? jidNormalizedUser(hit.jid) : null);
  }
  return out;
}
