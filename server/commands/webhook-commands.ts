import { FencedOutError } from '../../storage/index.js';
import type { InstanceRegistry } from '../instances/instance-registry.js';
import { Errors } from '../errors.js';
import type { WebhookManager } from '../webhooks/webhook-manager.js';
import type { CommandHandlers } from './command-layer.js';

type WebhookCommand = 'webhook.set' | 'webhook.find' | 'webhook.delete' | 'webhook.deliveries' | 'webhook.redeliver';

/** webhook.*: an instance's HTTP endpoints and their deliveries. */
export function webhookCommands(webhooks: WebhookManager, registry: InstanceRegistry): Pick<CommandHandlers, WebhookCommand> {
  const idOf = (name: string) => {
    const id = registry.idOf(name);
    if (!id) throw new Errors.instanceNotFound(name);
    return id;
  };
  // A write the store fenced off: this node lost the instance's lease (it steps down), as the registry answers it.
  const fenced = (instance: string) => (err: unknown) => {
    throw err instanceof FencedOutError ? new Errors.otherNode(instance) : err;
  };
  return {
    'webhook.set': (args, principal) => webhooks.set(idOf(args.instance), args, principal).catch(fenced(args.instance)),
    'webhook.find': ({ instance }) => webhooks.find(idOf(instance)),
    'webhook.delete': ({ instance, id }) => webhooks.delete(idOf(instance), id).catch(fenced(instance)),
    'webhook.deliveries': ({ instance, id }) => webhooks.deliveries(idOf(instance), id),
    'webhook.redeliver': ({ instance, id, fromSeq }) => {
      try {
        return webhooks.redeliver(idOf(instance), id, fromSeq);
      } catch (err) {
        return fenced(instance)(err);
      }
    }
  };
}
