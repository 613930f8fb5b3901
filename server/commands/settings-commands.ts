import type { InstanceSettings } from '../../protocol/index.js';
import type { InstanceRegistry } from '../instances/instance-registry.js';
import { redactProxy } from '../instances/proxy-agent.js';
import type { CommandHandlers } from './command-layer.js';

/** Settings as answered: a proxy's password never goes back out. */
const answer = (s: InstanceSettings): InstanceSettings => ({ ...s, proxy: s.proxy ? redactProxy(s.proxy) : null });

/** instance.settings and settings.find: the per-instance settings, checked by their schema in protocol/. */
export function settingsCommands(registry: InstanceRegistry): Pick<CommandHandlers, 'instance.settings' | 'settings.find'> {
  return {
    'instance.settings': ({ instance, ...patch }) => answer(registry.updateSettings(instance, patch)),
    'settings.find': ({ instance }) => answer(registry.get(instance).settings)
  };
}
