import type { CacheStore } from '@whiskeysockets/baileys';

/** How long an upload is reused; WhatsApp's media URLs last longer, and a stale one costs only a new upload. */
const TTL_MS = 24 * 3_600_000;
const MAX_ENTRIES = 256;

/**
 * Baileys' `mediaCache`: it keys each upload by media type and source URL, here
 * the media store's path, which is the file's SHA-256. The same file sent to many
 * recipients (a bulk queue) is encrypted and uploaded once and the message that
 * points at it reused, as WhatsApp's own forwarding does. Per socket, in memory.
 */
export class UploadCache implements CacheStore {
  private readonly entries = new Map<string, { value: unknown; expires: number }>();

  get<T>(key: string): T | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.expires < Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return hit.value as T;
  }

  set<T>(key: string, value: T): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expires: Date.now() + TTL_MS });
    // Oldest first out: a Map keeps insertion order.
    while (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
  }

  del(key: string): void {
    this.entries.delete(key);
  }

  flushAll(): void {
    this.entries.clear();
  }
}
