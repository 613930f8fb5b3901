import type { InstanceName } from '../../protocol/index.js';
import type { InstanceId } from '../../storage/index.js';
import { Errors } from '../errors.js';

/**
 * Who is calling: the admin key opens every instance, an instance token only its own.
 * A token is bound to the instance's id, not its name: a name can be deleted and
 * created again, and the new instance must not open to the old token.
 */
export type Principal = { kind: 'admin' } | { kind: 'instance'; instance: InstanceName; instanceId: InstanceId };

/** The id an instance name belongs to right now, if it exists. */
export type CurrentId = (name: InstanceName) => InstanceId | undefined;

/**
 * Checks a principal against the instances as they are now, not as they were
 * when it authenticated: a socket keeps its principal for hours, and its
 * instance may have been deleted meanwhile (401). With `instance`, also that
 * the caller may use that one (403).
 */
export function assertMayUse(currentId: CurrentId, principal: Principal, instance?: InstanceName): void {
  if (principal.kind === 'admin') return;
  if (currentId(principal.instance) !== principal.instanceId) throw new Errors.unauthorized();
  if (instance !== undefined && principal.instance !== instance) throw new Errors.forbidden(instance);
}

/** Whether a principal may receive the events of the instance with this id now. */
export function mayReceive(currentId: CurrentId, principal: Principal, instanceId: InstanceId): boolean {
  return principal.kind === 'admin' || (principal.instanceId === instanceId && currentId(principal.instance) === instanceId);
}

/** The caller is known, so a valid instance token is forbidden (403), not unauthenticated (401). */
export function assertAdmin(principal: Principal, command: string): void {
  if (principal.kind !== 'admin') throw new Errors.adminOnly(command);
}
