import type { Storage } from '../../storage/index.js';
import { Errors } from '../errors.js';
import type { CommandHandlers } from './command-layer.js';
import { assertAdmin } from '../auth/principal.js';
import { STORE_UNAVAILABLE, type InstanceRegistry, type LiveInstance } from '../instances/instance-registry.js';

/** The state `instance.state` reports: a session closed for good shows as refused. */
export const instanceState = (inst: LiveInstance) => (inst.session.state === 'close' && inst.row.state === 'refused' ? 'refused' : inst.session.state);

const info = (inst: LiveInstance) => ({
  name: inst.row.name,
  id: inst.row.id,
  state: instanceState(inst),
  owner: inst.row.owner,
  pushName: inst.row.push_name,
  lastEventAt: inst.lastEventAt,
  lastSendAt: inst.lastSendAt,
  waVersion: inst.session.version ? inst.session.version.join('.') : null,
  ...(inst.suspended
    ? { statusReason: STORE_UNAVAILABLE, reason: inst.suspended.reason }
    : inst.closed && inst.session.state !== 'open'
      ? inst.closed
      : {})
});

/** instance.*: create, list, connect, state, logout, delete. */
export function instanceCommands(
  registry: InstanceRegistry,
  storage: Storage
): Pick<
  CommandHandlers,
  | 'instance.create'
  | 'instance.list'
  | 'instance.connect'
  | 'instance.state'
  | 'instance.logout'
  | 'instance.delete'
  | 'instance.restart'
  | 'instance.events'
  | 'instance.pairingCode'
> {
  return {
    'instance.create': ({ instanceName, proxy }, principal) => {
      assertAdmin(principal, 'instance.create');
      const { inst, token } = registry.create(instanceName, proxy ? { proxy } : {});
      return { instance: info(inst), token };
    },
    'instance.list': (_args, principal) =>
      registry
        .list()
        .filter(i => principal.kind === 'admin' || i.row.id === principal.instanceId)
        .map(info),
    'instance.connect': async ({ instance }) => {
      const inst = registry.connect(instance);
      // Give a starting session a moment to show its first QR, so one call can answer it.
      for (let i = 0; i < 50 && !inst.qr && inst.session.state === 'connecting'; i++) await new Promise(r => setTimeout(r, 100));
      return { instance: info(inst), qrcode: inst.qr };
    },
    'instance.state': ({ instance }) => info(registry.get(instance)),
    'instance.logout': async ({ instance }) => info(await registry.logout(instance)),
    'instance.delete': async ({ instance }) => {
      await registry.delete(instance);
      return { deleted: instance };
    },
    'instance.pairingCode': async ({ instance, number }) => {
      const inst = registry.get(instance);
      if (inst.auth.hasAccount()) throw new Errors.instanceExists(`${instance} (already paired)`);
      inst.session.start();
      // Baileys can ask for a code only on a connection that reached the pairing stage (a QR is showing).
      for (let i = 0; i < 100 && !inst.session.pairingSocket; i++) await new Promise(r => setTimeout(r, 100));
      const sock = inst.session.pairingSocket;
      if (!sock) throw new Errors.notConnected(instance, inst.session.state);
      const pairingCode = await sock.requestPairingCode(number.replace(/\D/g, ''));
      return { instance, pairingCode };
    },
    'instance.restart': ({ instance }) => info(registry.restart(instance)),
    'instance.events': ({ instance, after, limit }) => {
      const inst = registry.get(instance);
      const max = limit ?? 100;
      const rows = storage.events.after(inst.row.id, after ?? 0, max + 1);
      return {
        events: rows.slice(0, max).map(r => JSON.parse(r.payload) as unknown),
        lastSeq: registry.lastSeq(inst),
        more: rows.length > max
      };
    }
  };
}
