import type { InstanceName } from '../../protocol/index.js';
import { Errors } from '../errors.js';

/** Who is calling: the admin key opens every instance, an instance token only its own. */
export type Principal = { kind: 'admin' } | { kind: 'instance'; instance: InstanceName };

export function assertMayUse(principal: Principal, instance: InstanceName): void {
  if (principal.kind === 'instance' && principal.instance !== instance) throw new Errors.forbidden(instance);
}

/** The caller is known, so a valid instance token is forbidden (403), not unauthenticated (401). */
export function assertAdmin(principal: Principal, command: string): void {
  if (principal.kind !== 'admin') throw new Errors.adminOnly(command);
}
