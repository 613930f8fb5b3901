import { createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';

/** A new signing secret in the Standard Webhooks form: `whsec_` and 32 random bytes in base64. */
export const newWebhookSecret = (): string => PREFIX + randomBytes(32).toString('base64');

/**
 * The key Standard Webhooks signs with: the bytes after `whsec_` (base64), as
 * that specification's libraries read it; a secret without the prefix is used
 * as its UTF-8 text.
 */
export function standardKey(secret: string): Buffer {
  return secret.startsWith(PREFIX) ? Buffer.from(secret.slice(PREFIX.length), 'base64') : Buffer.from(secret, 'utf8');
}

/**
 * The signature headers of one delivery (EVENTS.md "Webhook delivery").
 * `x-wahub-signature` is keyed with the secret's text as given, the way
 * `t=…,v1=…` receivers (Stripe's scheme) verify; `webhook-signature` with the
 * Standard Webhooks key.
 */
export function signatureHeaders(secret: string, deliveryId: string, body: string, nowMs = Date.now()): Record<string, string> {
  const t = Math.floor(nowMs / 1000).toString();
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  const standard = createHmac('sha256', standardKey(secret)).update(`${deliveryId}.${t}.${body}`).digest('base64');
  return {
    'x-wahub-signature': `t=${t},v1=${v1}`,
    'webhook-id': deliveryId,
    'webhook-timestamp': t,
    'webhook-signature': `v1,${standard}`
  };
}
