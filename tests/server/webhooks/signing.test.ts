import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { newWebhookSecret, signatureHeaders } from '../../../server/webhooks/signing.js';

const body = JSON.stringify({ event: 'new.message', seq: 7, data: { text: 'olá' } });

test('a generated secret verifies with the Standard Webhooks library, and x-wahub-signature with node:crypto', () => {
  const secret = newWebhookSecret();
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  const headers = signatureHeaders(secret, 'inst:7', body);
  expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(headers['x-wahub-signature']!)!;
  expect(t).toBe(headers['webhook-timestamp']);
  expect(v1).toBe(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
  expect(headers['webhook-id']).toBe('inst:7');
});

test('a secret without the whsec_ prefix is its own UTF-8 bytes; a changed body or another secret does not verify', () => {
  const secret = 'a-secret-of-my-own-0123';
  const headers = signatureHeaders(secret, 'inst:8', body);
  expect(new Webhook(secret, { format: 'raw' }).verify(body, headers)).toEqual(JSON.parse(body));
  expect(() => new Webhook(secret, { format: 'raw' }).verify(body.replace('olá', 'ola'), headers)).toThrow();
  expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
});
