import { isJidGroup, isLidUser } from '@whiskeysockets/baileys';
import { Errors } from '../errors.js';
import type { InstanceRegistry } from '../instances/instance-registry.js';
import type { CommandHandlers } from './command-layer.js';

/** A number in any common notation, or a JID, as the JID WhatsApp wants. */
export function toJid(number: string): string {
  if (number.includes('@')) return number;
  return `${number.replace(/\D/g, '')}@s.whatsapp.net`;
}

/** message.*: sending. */
export function messageCommands(registry: InstanceRegistry): Pick<CommandHandlers, 'message.sendText'> {
  return {
    'message.sendText': async ({ instance, number, text }) => {
      const inst = registry.get(instance);
      const sock = inst.session.socket;
      if (!sock) throw new Errors.notConnected(instance, inst.session.state);
      let jid = toJid(number);
      if (!isJidGroup(jid) && !isLidUser(jid)) {
        // Refuse numbers not on WhatsApp before anything is sent, in the event map's words.
        const [found] = (await sock.onWhatsApp(jid)) ?? [];
        if (!found?.exists) throw new Errors.numberNotOnWhatsApp(number);
        jid = found.jid;
      }
      const sent = await sock.sendMessage(jid, { text }).catch((err: Error) => {
        throw new Errors.sendFailed(err.message);
      });
      if (!sent?.key.id) throw new Errors.sendFailed('no message key');
      return { key: { id: sent.key.id, remoteJid: sent.key.remoteJid ?? jid, fromMe: true }, status: 'PENDING' };
    }
  };
}
