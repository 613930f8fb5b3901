import { isJidGroup, isJidStatusBroadcast, type WAMessageKey } from '@whiskeysockets/baileys';
import type { InstanceSettings } from '../../protocol/index.js';
import type { BaileysEvent } from '../instances/instance-session.js';

/** What `ignoreGroups` and `ignoreStatus` drop, by the chat a JID names. */
function dropper(s: InstanceSettings): ((jid: string | null | undefined) => boolean) | undefined {
  if (!s.ignoreGroups && !s.ignoreStatus) return undefined;
  return jid => !!jid && ((s.ignoreGroups && !!isJidGroup(jid)) || (s.ignoreStatus && !!isJidStatusBroadcast(jid)));
}

/**
 * The event without what the settings ignore, or undefined when nothing is left. Runs
 * before translation, so an ignored message is neither stored nor emitted; Baileys has
 * already decrypted it (its Signal session stays in step) and WhatsApp gets its receipt.
 */
export function withoutIgnored(event: BaileysEvent, settings: InstanceSettings): BaileysEvent | undefined {
  const drop = dropper(settings);
  if (!drop) return event;
  const keep = (key: WAMessageKey) => !drop(key.remoteJid);
  switch (event.name) {
    case 'messages.upsert': {
      const messages = event.data.messages.filter(m => keep(m.key));
      return messages.length ? { name: event.name, data: { ...event.data, messages } } : undefined;
    }
    case 'messages.update': {
      const data = event.data.filter(u => keep(u.key));
      return data.length ? { name: event.name, data } : undefined;
    }
    case 'messages.delete': {
      if (!('keys' in event.data)) return drop(event.data.jid) ? undefined : event;
      const keys = event.data.keys.filter(keep);
      return keys.length ? { name: event.name, data: { keys } } : undefined;
    }
    case 'messaging-history.set':
      return {
        name: event.name,
        data: { ...event.data, chats: event.data.chats.filter(c => !drop(c.id)), messages: event.data.messages.filter(m => keep(m.key)) }
      };
    case 'chats.upsert':
    case 'chats.update': {
      const data = (event.data as { id?: string | null }[]).filter(c => !drop(c.id));
      return data.length ? ({ name: event.name, data } as BaileysEvent) : undefined;
    }
    case 'chats.delete': {
      const data = event.data.filter(id => !drop(id));
      return data.length ? { name: event.name, data } : undefined;
    }
    case 'presence.update':
      return drop(event.data.id) ? undefined : event;
    case 'groups.upsert':
    case 'groups.update': {
      const data = (event.data as { id?: string | null }[]).filter(g => !drop(g.id));
      return data.length ? ({ name: event.name, data } as BaileysEvent) : undefined;
    }
    case 'group-participants.update':
      return drop(event.data.id) ? undefined : event;
    case 'call': {
      const data = settings.ignoreGroups ? event.data.filter(c => !c.isGroup) : event.data;
      return data.length ? { name: event.name, data } : undefined;
    }
    default:
      return event;
  }
}
