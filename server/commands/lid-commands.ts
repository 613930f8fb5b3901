import { isLidUser, isPnUser, jidNormalizedUser } from '@whiskeysockets/baileys';
import type { InstanceRegistry } from '../instances/instance-registry.js';
import { Errors } from '../errors.js';
import type { CommandHandlers } from './command-layer.js';
import { toJid } from './message-content.js';

/**
 * contacts.lid: Baileys' LID mapping, both ways. A LID is looked up in what WhatsApp
 * has told this account; a phone number Baileys may also ask WhatsApp about (a usync
 * query) when it does not know it yet, so the instance must be connected.
 */
export function lidCommands(registry: InstanceRegistry): Pick<CommandHandlers, 'contacts.lid'> {
  return {
    'contacts.lid': async ({ instance, jids }) => {
      const inst = registry.get(instance);
      const mapping = inst.session.socket ? inst.session.lidMapping : undefined;
      if (!mapping) throw new Errors.notConnected(instance, inst.session.state);
      return Promise.all(
        jids.map(async query => {
          const jid = jidNormalizedUser(toJid(query));
          if (isLidUser(jid)) {
            const pn = await mapping.getPNForLID(jid).catch(() => null);
            return { query, lid: jid, pn: pn ? jidNormalizedUser(pn) : null };
          }
          if (isPnUser(jid)) {
            const lid = await mapping.getLIDForPN(jid).catch(() => null);
            return { query, lid: lid ? jidNormalizedUser(lid) : null, pn: jid };
          }
          // A group or a broadcast has no LID mapping.
          return { query, lid: null, pn: null };
        })
      );
    }
  };
}
