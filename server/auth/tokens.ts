import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new random secret (API key or instance token): 32 bytes, URL-safe. */
export const newToken = (): string => randomBytes(32).toString('base64url');

/**
 * Tokens are stored as SHA-256 digests: they are high-entropy random values,
 * so a slow password hash buys nothing and would cost on every request.
 * One-shot `hash` to bytes: every REST request digests the key it presents.
 */
export const tokenDigest = (token: string): Buffer => hash('sha256', token, 'buffer');

export const hashToken = (token: string): string => tokenDigest(token).toString('hex');

/** Compares a presented token's digest with a stored digest in constant time. */
export function digestMatches(presented: Buffer, storedHash: string | null | undefined): boolean {
  if (!storedHash) return false;
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
