import { backoffDelay } from '../../../server/webhooks/webhook-worker.js';

const defaults = { backoffBaseMs: 1000, backoffMaxMs: 600_000 };

test('retry delays double from 1 s, each within ±25 %, and never pass 10 min', () => {
  expect([1, 2, 3, 4].map(n => backoffDelay(n, defaults, () => 0.5))).toEqual([1000, 2000, 4000, 8000]);
  expect(backoffDelay(1, defaults, () => 0)).toBe(750);
  expect(backoffDelay(1, defaults, () => 0.999999)).toBe(1250);
  expect(backoffDelay(10, defaults, () => 0.5)).toBe(512_000);
  expect(backoffDelay(11, defaults, () => 0)).toBe(600_000);
  expect(backoffDelay(40, defaults, () => 0.999999)).toBe(600_000);
});
