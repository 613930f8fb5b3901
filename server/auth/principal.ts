import type { InstanceName } from '../../protocol/index.js';
import { Errors } from '../errors.js';

/** Who is calling: the admin key opens every instance, an instance token only its own. */
export type Principal = { kind: 'admin' } | { kind: 'instance'; instance: InstanceName };

export function assertMayUse(principal: Principal, instance: InstanceName): void {
  if (principal.kind === 'instance' && principal.instance !== instance) throw new Errors.forbidden(instance);
}

export function assertAdmin(principal: Principal): void {
  if (principal.kind !== 'admin') throw new Errors.unauthorized();
}
