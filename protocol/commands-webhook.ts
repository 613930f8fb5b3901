import { Type } from 'typebox';
import { InstanceName } from './common.js';
import { EVENT_NAMES } from './events.js';

export const WEBHOOK_STATUSES = ['ok', 'retrying', 'failing'] as const;

const strict = { additionalProperties: false } as const;
const WebhookId = Type.String({ minLength: 1, maxLength: 64 });

/** A webhook as `webhook.set` answers it. */
export const WebhookBrief = Type.Object({
  id: Type.String(),
  url: Type.String(),
  /** The canonical names it receives; null for every event. */
  events: Type.Union([Type.Array(Type.Enum(EVENT_NAMES)), Type.Null()]),
  enabled: Type.Boolean(),
  /** `retrying`: the next event is being retried; `failing`: events were given up on and wait in the dead letters for a redelivery. */
  status: Type.Enum(WEBHOOK_STATUSES)
});

/** A webhook as `webhook.find` lists it. */
export const WebhookInfo = Type.Object({
  ...WebhookBrief.properties,
  /** True for the hub-wide webhook configured by `WEBHOOK_URL`; it cannot be changed by commands. */
  global: Type.Boolean(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  /** The last seq acknowledged, skipped by the filter, or given up on. */
  lastDeliveredSeq: Type.Integer({ minimum: 0 }),
  /** Stored events after it that the filter takes: what is still to be delivered. */
  pending: Type.Integer({ minimum: 0 })
});

/** An event given up on after every attempt. */
export const DeadLetter = Type.Object({
  webhookId: Type.String(),
  seq: Type.Integer(),
  event: Type.String(),
  attempts: Type.Integer(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  failedAt: Type.Integer(),
  /** The envelope that was POSTed. */
  envelope: Type.Unknown()
});

/** Webhooks: every event of an instance POSTed to HTTP endpoints, signed, in seq order, at least once. */
export const WebhookCommandSchemas = {
  /** Adds a webhook (or changes the one with the same URL); answers its signing secret, generated when not given. */
  'webhook.set': {
    args: Type.Object(
      {
        instance: InstanceName,
        url: Type.String({ minLength: 1, maxLength: 2048 }),
        events: Type.Optional(Type.Array(Type.Enum(EVENT_NAMES), { minItems: 1, uniqueItems: true })),
        enabled: Type.Optional(Type.Boolean()),
        secret: Type.Optional(Type.String({ minLength: 16, maxLength: 256 }))
      },
      strict
    ),
    result: Type.Object({ webhook: WebhookBrief, secret: Type.String() })
  },
  /** The instance's webhooks with their delivery state. */
  'webhook.find': { args: Type.Object({ instance: InstanceName }, strict), result: Type.Array(WebhookInfo) },
  /** Removes a webhook and its dead letters. */
  'webhook.delete': { args: Type.Object({ instance: InstanceName, id: WebhookId }, strict), result: Type.Object({ deleted: Type.String() }) },
  /**
   * The dead letters, of one webhook with `id`. Only failed deliveries are kept
   * (a delivered event is the cursor), so `failed` may be left out.
   */
  'webhook.deliveries': {
    args: Type.Object({ instance: InstanceName, id: Type.Optional(WebhookId), failed: Type.Optional(Type.Boolean()) }, strict),
    result: Type.Array(DeadLetter)
  },
  /** Delivers again every stored event from `fromSeq` on, in order, dead letters included. */
  'webhook.redeliver': {
    args: Type.Object({ instance: InstanceName, id: WebhookId, fromSeq: Type.Integer({ minimum: 1 }) }, strict),
    result: WebhookInfo
  }
} as const;
