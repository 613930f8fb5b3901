import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new random secret (API key or instance token): 32 bytes, URL-safe. */
export const newToken = (): string => randomBytes(32).toString('base64url');

/**
 * Tokens are stored as SHA-256 digests: they are high-entropy random values,
 * so a slow password hash buys nothing and would cost on every request.
 */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** Compares a presented token with a stored digest in constant time. */
export function tokenMatches(presented: string | undefined, storedHash: string | null | undefined): boolean {
  if (!presented || !storedHash) return false;
  const a = Buffer.from(hashToken(presented), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
