import { hubClient } from './hub.js';
import { sharedPostgres } from './postgres.js';
import type { Spawned } from './processes.js';
import { until } from './until.js';

/** What `GET /cluster` answers: this node, the live nodes and the instances this node holds. */
export interface ClusterStatus {
  node: string;
  nodes: { id: string; settled: boolean }[];
  held: { name: string }[];
}

export const clusterStatus = async (hub: Spawned): Promise<ClusterStatus> => (await hubClient(hub.vars.WAHUB_URL!).request('GET', '/cluster')).json as ClusterStatus;

/** The store the nodes share: a fresh PostgreSQL database, or on one machine one SQLite file in their common DATA_DIR. */
export async function sharedStore(store: 'sqlite' | 'postgres'): Promise<Record<string, string>> {
  return store === 'postgres' ? { DATABASE_URL: await (await sharedPostgres()).createDatabase() } : {};
}

/**
 * Waits until every node's membership lists all of them, settled (CLUSTER_SETTLE_MS):
 * from then on an instance created goes where the hash over all of them puts it, and stays.
 */
export async function untilEveryNodeSeesAll(hubs: Map<string, Spawned>): Promise<void> {
  for (const [node, hub] of hubs) {
    await until(`${node} to see every node settled`, async () => {
      const { nodes } = await clusterStatus(hub);
      return nodes.length === hubs.size && nodes.every(n => n.settled);
    });
  }
}

/** The nodes that hold the instance's lease now. */
export async function holdersOf(hubs: Map<string, Spawned>, instance: string): Promise<string[]> {
  const found: string[] = [];
  for (const [node, hub] of hubs) if ((await clusterStatus(hub)).held.some(h => h.name === instance)) found.push(node);
  return found;
}

/** Which nodes hold each instance now, from one `GET /cluster` per node. */
export async function ownersByInstance(hubs: Map<string, Spawned>): Promise<Map<string, string[]>> {
  const owners = new Map<string, string[]>();
  for (const [node, hub] of hubs) for (const { name } of (await clusterStatus(hub)).held) owners.set(name, [...(owners.get(name) ?? []), node]);
  return owners;
}

/**
 * Starts one hub process per node on the shared store and Redis, one after the other: the first
 * migrates the shared store before the others open it, and on a loaded machine hubs started
 * together each take their whole start timeout to load.
 */
export async function spawnNodes(nodes: string[], spawn: (node: string) => Promise<Spawned>): Promise<Map<string, Spawned>> {
  const hubs = new Map<string, Spawned>();
  for (const node of nodes) hubs.set(node, await spawn(node));
  return hubs;
}
