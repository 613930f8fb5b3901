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
