/**
 * REST throughput: `instance.state` (GET /instance/connectionState/:instance)
 * at 50 concurrent connections, against a bare Fastify route in the same
 * process returning the same JSON. autocannon runs as its own process, so the
 * load generator does not share the servers' event loop; the two targets are
 * measured in alternating rounds.
 *
 *   node --import tsx bench/rest.ts [secondsPerRound=3] [rounds=2]
 */
import { spawn } from 'node:child_process';
import Fastify from 'fastify';
import { ADMIN_KEY, startHub } from '../tests/helpers/hub.js';
import { SIM_ROOT_PUBLIC_KEY_HEX } from '../simulator/root-key.js';
import { report } from './figures.js';

const SECONDS = Number(process.argv[2] ?? 3);
const ROUNDS = Number(process.argv[3] ?? 2);
const CONNECTIONS = 50;

// No WhatsApp needed: the instance is never connected, its state is read from the registry.
const hub = await startHub({ url: 'ws://127.0.0.1:9/ws/chat', rootPublicKeyHex: SIM_ROOT_PUBLIC_KEY_HEX }, { env: { RATE_LIMIT_PER_SECOND: '0' } });
await hub.request('POST', '/instance/create', { instanceName: 'bench' });
const path = '/instance/connectionState/bench';
const sample = await hub.request('GET', path);
if (sample.status !== 200) throw new Error(`instance.state: ${sample.status} ${JSON.stringify(sample.json)}`);

// The baseline: the same answer, from a route that does nothing else.
const bare = Fastify({ logger: false });
bare.get('/instance/connectionState/:instance', async () => sample.json);
const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });

/** Requests per second autocannon measured against `url`, non-2xx answers counted as failures. */
function cannon(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['node_modules/autocannon/autocannon.js', '--json', '-c', String(CONNECTIONS), '-d', String(SECONDS), '-H', `apikey=${ADMIN_KEY}`, url],
      { stdio: ['ignore', 'pipe', 'pipe'] }
    );
    let out = '';
    child.stdout.on('data', d => (out += d));
    child.on('error', reject);
    child.on('exit', () => {
      try {
        const r = JSON.parse(out) as { requests: { average: number }; non2xx: number; errors: number; '2xx': number };
        if (r.non2xx || r.errors) return reject(new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`));
        resolve(r['2xx'] / SECONDS);
      } catch (err) {
        reject(err);
      }
    });
  });
}

let hubTotal = 0;
let bareTotal = 0;
for (let r = 0; r < ROUNDS; r++) {
  bareTotal += await cannon(`${bareUrl}${path}`);
  hubTotal += await cannon(`${hub.url}${path}`);
}
report([
  {
    id: 'rest.instanceState',
    figure: `REST instance.state at concurrency ${CONNECTIONS}`,
    unit: 'req/s',
    wahub: hubTotal / ROUNDS,
    baseline: bareTotal / ROUNDS,
    goal: { ratioAtLeast: 0.7 },
    note: 'baseline: a bare Fastify route in the same process returning the same JSON; the hub also checks the API key, validates the name and runs the command layer'
  }
]);
await bare.close();
await hub.close();
process.exit(0);
