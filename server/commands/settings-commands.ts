import type { InstanceRegistry } from '../instances/instance-registry.js';
import type { CommandHandlers } from './command-layer.js';

/** instance.settings and settings.find: the per-instance settings, checked by their schema in protocol/. */
export function settingsCommands(registry: InstanceRegistry): Pick<CommandHandlers, 'instance.settings' | 'settings.find'> {
  return {
    'instance.settings': ({ instance, ...patch }) => registry.updateSettings(instance, patch),
    'settings.find': ({ instance }) => registry.get(instance).settings
  };
}
