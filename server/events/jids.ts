import { isLidUser, jidNormalizedUser } from '@whiskeysockets/baileys';

/** What the contract says of a JID: the phone-number JID when known, else the LID with `lid` beside it. */
export interface ResolvedJid {
  wuid: string;
  lid?: string;
}

/** LID → PN answers gathered before a translation, so translating itself stays synchronous. */
export type LidLookup = ReadonlyMap<string, string>;

/**
 * Resolves a JID per EVENTS.md. `alt` is the alternate JID Baileys put beside
 * the key (remoteJidAlt / participantAlt); the lookup holds Baileys' LID mapping.
 */
export function resolveJid(jid: string, lookup: LidLookup, alt?: string | null): ResolvedJid {
  const normalized = jidNormalizedUser(jid) || jid;
  if (!isLidUser(normalized)) return { wuid: normalized };
  const pn = (alt && !isLidUser(alt) ? jidNormalizedUser(alt) : undefined) ?? lookup.get(normalized);
  return pn ? { wuid: pn } : { wuid: normalized, lid: normalized };
}

/** The phone number of a phone-number JID, digits only; null for LIDs and groups. */
export function phoneOf(jid: string): string | null {
  const m = /^(\d+)(?::\d+)?@s\.whatsapp\.net$/.exec(jid);
  return m ? m[1]! : null;
}
