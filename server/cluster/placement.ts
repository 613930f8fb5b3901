import { createHash } from 'node:crypto';
import type { InstanceId } from '../../storage/index.js';
import type { NodeId } from './keys.js';

const weight = (node: NodeId, instance: InstanceId): bigint => createHash('sha256').update(node).update('\0').update(instance).digest().readBigUInt64BE(0);

/**
 * Rendezvous (highest random weight) hashing: the instance goes to the node with
 * the largest hash of (node, instance). Every node computes the same answer from
 * the same node list, and a node joining or leaving moves only the instances that
 * go to or came from it.
 */
export function ownerOf(instance: InstanceId, nodes: readonly NodeId[]): NodeId | undefined {
  let best: NodeId | undefined;
  let bestWeight = -1n;
  for (const node of nodes) {
    const w = weight(node, instance);
    // Ties (practically impossible with 64 bits) go to the smaller id, so every node agrees.
    if (w > bestWeight || (w === bestWeight && best !== undefined && node < best)) {
      best = node;
      bestWeight = w;
    }
  }
  return best;
}

/** The node lists one round hashes over, as every node computes them from the same membership. */
export interface Placement {
  /** Who claims an instance nobody holds: the settled live nodes, or every live node while none has settled (a cluster starting). */
  claimers: NodeId[];
  /** Who a holder compares itself with: the settled live nodes and itself, settled or not (it keeps what it holds until a settled node hashes higher). */
  keepers: NodeId[];
}

/**
 * The hold-down rule (docs/SCALING.md, "Placement"): a node that has not settled
 * takes nothing from a live holder and is not handed instances nobody holds while
 * some node has settled, so a node that joins and dies again moves nothing; an
 * instance nobody holds (its holder died or left) goes at once to the best settled
 * node, so failover does not wait for anyone to settle.
 */
export function placementOf(nodes: readonly { id: NodeId; settled: boolean }[], self: NodeId): Placement {
  const settled = nodes.filter(n => n.settled).map(n => n.id);
  const live = nodes.map(n => n.id);
  if (!live.includes(self)) live.push(self);
  return { claimers: settled.length ? settled : live, keepers: settled.includes(self) ? settled : [...settled, self] };
}
