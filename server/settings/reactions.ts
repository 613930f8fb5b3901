import { isJidStatusBroadcast, type BaileysEventMap, type WACallEvent, type WASocket } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { InstanceSettings } from '../../protocol/index.js';
import type { BaileysEvent } from '../instances/instance-session.js';

/** What a reaction needs of its instance: the open socket now, the settings now, a log and a way back into the pipeline. */
export interface ReactionTarget {
  socket(): WASocket | undefined;
  settings(): InstanceSettings;
  log: Logger;
  /** Feeds a Baileys-shaped event into the instance's pipeline, in order with the rest. */
  emit(event: BaileysEvent): void;
}

/**
 * `rejectCalls`: each live offer is rejected, group calls too, then reported as a `call` with
 * status `reject` (unless ignoreGroups keeps a group call out), then the caller gets `rejectMessage`. An offer that waited in WhatsApp's
 * offline queue is not rejected: that call ended long ago and the caller would get a
 * text about a call they no longer make.
 */
export function rejectCalls(items: WACallEvent[], t: ReactionTarget): void {
  const { rejectCalls: on, rejectMessage } = t.settings();
  const sock = t.socket();
  if (!on || !sock) return;
  for (const call of items) {
    if (call.status !== 'offer' || call.offline) continue;
    void (async () => {
      await sock.rejectCall(call.id, call.from);
      t.emit({ name: 'call', data: [{ ...call, status: 'reject' }] });
      // A LID caller is written to by its phone-number JID when WhatsApp gave it, as a person would.
      if (rejectMessage) await sock.sendMessage(call.callerPn ?? call.from, { text: rejectMessage });
    })().catch(err => t.log.warn({ err, callId: call.id }, 'could not reject a call'));
  }
}

/**
 * `readMessages`: inbound messages are marked read once Baileys has emitted them, which
 * is after their delivery receipt went out, so the sender sees delivered before read.
 * Statuses are left unread: reading one tells its poster we looked at it.
 */
export function readInbound(upsert: BaileysEventMap['messages.upsert'], t: ReactionTarget): void {
  const sock = t.socket();
  if (!t.settings().readMessages || !sock) return;
  const keys = upsert.messages
    .filter(m => !m.key.fromMe && m.message && !m.message.protocolMessage && !isJidStatusBroadcast(m.key.remoteJid ?? ''))
    .map(m => m.key);
  if (keys.length) sock.readMessages(keys).catch(err => t.log.warn({ err }, 'could not mark messages read'));
}

/** `alwaysOnline`: the account's presence follows the setting while connected. */
export function applyPresence(t: ReactionTarget): void {
  const sock = t.socket();
  if (!sock) return;
  sock.sendPresenceUpdate(t.settings().alwaysOnline ? 'available' : 'unavailable').catch(err => t.log.warn({ err }, 'could not send presence'));
}
