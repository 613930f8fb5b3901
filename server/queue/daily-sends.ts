import type { InstanceId, Storage } from '../../storage/index.js';

/** Midnight, server time, of the day `t` falls in: the daily cap counts from there. */
export function startOfDay(t = Date.now()): number {
  const d = new Date(t);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** The next midnight after `t`. */
export function nextDay(t = Date.now()): number {
  const d = new Date(startOfDay(t));
  d.setDate(d.getDate() + 1);
  return d.getTime();
}

/** Counts one message the instance sent (single or bulk): the daily cap is about the number, whoever sent. */
export const countSend = (storage: Storage, instanceId: InstanceId): void => storage.sends.record(instanceId, startOfDay());

/** Messages the instance sent today. */
export const sendsToday = (storage: Storage, instanceId: InstanceId): number => storage.sends.on(instanceId, startOfDay());
