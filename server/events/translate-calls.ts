import { isJidGroup, isLidUser, jidNormalizedUser, type WACallEvent } from '@whiskeysockets/baileys';
import { CALL_STATUSES, type PendingEvent } from '../../protocol/index.js';
import { resolveJid, type LidLookup } from './jids.js';

type CallStatus = (typeof CALL_STATUSES)[number];
const isContractStatus = (s: string): s is CallStatus => (CALL_STATUSES as readonly string[]).includes(s);

/**
 * Baileys' `call` items as contract `call` events. Baileys also reports the signalling
 * steps between offer and end (`preaccept`, `transport`, `relaylatency`, `terminate`);
 * EVENTS.md names only the call's states, so those are not events. Nothing is stored:
 * a call is not a message.
 */
export function calls(items: WACallEvent[], lookup: LidLookup): PendingEvent[] {
  const out: PendingEvent[] = [];
  for (const call of items) {
    if (!isContractStatus(call.status)) continue;
    const raw = jidNormalizedUser(call.from) || call.from;
    const lid = isLidUser(raw) ? raw : undefined;
    const { wuid } = resolveJid(raw, lookup, call.callerPn);
    // Baileys names the group only on the offer; the hub's own reject carries the offer's fields.
    const groupJid = call.isGroup && call.groupJid && isJidGroup(call.groupJid) ? call.groupJid : undefined;
    out.push({
      event: 'call',
      data: { id: call.id, from: wuid, ...(lid ? { lid } : {}), status: call.status, isVideo: !!call.isVideo, isGroup: !!call.isGroup, ...(groupJid ? { groupJid } : {}) }
    });
  }
  return out;
}
