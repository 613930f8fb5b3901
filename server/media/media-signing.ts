import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SettingsRepository } from '../../storage/index.js';

const SECRET_KEY = 'media.signingSecret';

/**
 * Signed media URLs: `?expires=<unix seconds>&sig=<hex HMAC-SHA256>` over the
 * instance, the message ID and the expiry, with a secret the hub generates once
 * and keeps in its settings, so a URL stays valid across restarts until it expires.
 */
export class MediaSigner {
  private readonly secret: Buffer;

  constructor(settings: SettingsRepository) {
    // Set only if absent: cluster nodes booting at once on a new store must sign with one secret, or a URL signed on one fails on another.
    const stored = settings.get(SECRET_KEY) ?? settings.setIfAbsent(SECRET_KEY, randomBytes(32).toString('hex'));
    this.secret = Buffer.from(stored, 'hex');
  }

  private mac(instance: string, messageId: string, expires: number): Buffer {
    return createHmac('sha256', this.secret).update(`${instance}\n${messageId}\n${expires}`).digest();
  }

  sign(instance: string, messageId: string, expires: number): string {
    return this.mac(instance, messageId, expires).toString('hex');
  }

  /** True for a signature of these values that has not expired. */
  verify(instance: string, messageId: string, expires: unknown, sig: unknown, now = Date.now()): boolean {
    const at = typeof expires === 'string' && /^\d{1,12}$/.test(expires) ? Number(expires) : NaN;
    if (!Number.isFinite(at) || at * 1000 < now || typeof sig !== 'string' || !/^[0-9a-f]{64}$/.test(sig)) return false;
    return timingSafeEqual(this.mac(instance, messageId, at), Buffer.from(sig, 'hex'));
  }
}
