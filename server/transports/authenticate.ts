import { timingSafeEqual } from 'node:crypto';
import { tokenDigest } from '../auth/tokens.js';
import type { Principal } from '../auth/principal.js';
import type { InstanceRegistry } from '../instances/instance-registry.js';

const ADMIN: Principal = Object.freeze({ kind: 'admin' });

/** Turns a presented key or token into a principal; undefined when it opens nothing. */
export function makeAuthenticator(adminKeyHash: string, registry: InstanceRegistry) {
  const admin = Buffer.from(adminKeyHash, 'hex');
  return (presented: unknown): Principal | undefined => {
    if (typeof presented !== 'string' || presented.length === 0 || presented.length > 512) return undefined;
    const digest = tokenDigest(presented);
    if (digest.length === admin.length && timingSafeEqual(digest, admin)) return ADMIN;
    const inst = registry.byTokenDigest(digest);
    return inst ? { kind: 'instance', instance: inst.row.name, instanceId: inst.row.id } : undefined;
  };
}
export type Authenticator = ReturnType<typeof makeAuthenticator>;
