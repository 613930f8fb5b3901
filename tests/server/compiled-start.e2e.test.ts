import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { ADMIN_KEY, hubClient, type EventClient } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { logLines, spawnHub, type Spawned } from '../helpers/processes.js';
import { startSimulator } from '../helpers/simulator.js';
import { tempDir } from '../helpers/temp-dir.js';

// Inside the work tree (node_modules must resolve from the compiled files) and gitignored (.tmp/).
const OUT = resolve('.tmp', `build-${process.pid}`);
const MAIN = join(OUT, 'server', 'main.js');
const PHONE = '5581900000801';
const CONTACT = '5581900000810';
let sim: WhatsAppSimulator;
let dir: ReturnType<typeof tempDir>;
let hub: Spawned | undefined;
let client: EventClient | undefined;

beforeAll(async () => {
  // The build script `npm start` runs first, into a folder of this run's own.
  await promisify(execFile)(process.execPath, ['scripts/build.mjs', OUT]);
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, contacts: [{ phone: CONTACT }] });
  dir = tempDir('wahub-compiled-');
}, 180_000);
afterAll(async () => {
  client?.close();
  await hub?.stop();
  await sim?.stop();
  dir?.cleanup();
  rmSync(OUT, { recursive: true, force: true });
});

test('the compiled hub boots without a TypeScript loader, serves the dashboard from dist, pairs and receives, and logs JSON into a pipe', async () => {
  hub = await spawnHub(dir.path, sim, ADMIN_KEY, { LOG_LEVEL: 'info' }, MAIN);
  expect(readFileSync(`/proc/${hub.child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean)).toEqual([process.execPath, MAIN]);
  const api = hubClient(hub.vars.WAHUB_URL!);
  expect((await fetch(`${api.url}/health`)).status).toBe(200);
  const page = await fetch(`${api.url}/`);
  expect(page.status).toBe(200);
  expect(await page.text()).toBe(readFileSync('server/dashboard/index.html', 'utf8'));

  // Real Baileys, patched at install, loaded by the compiled code.
  const paired = await pairInstance(api, sim, 'built', PHONE);
  client = paired.client;
  const { messageId } = await sim.sendText(PHONE, CONTACT, 'to the compiled hub');
  await client.waitFor('new.message', e => e.data.header.messageId === messageId);

  expect(logLines(hub)).toEqual(expect.arrayContaining([expect.objectContaining({ msg: 'wahub listening', restored: 0 })]));
});

test('on a terminal the compiled hub logs pretty lines, not JSON', async () => {
  const data = tempDir('wahub-tty-');
  // `script` gives the hub a pseudo-terminal as stdout, as an operator's shell would.
  const child = spawn('script', ['-qfec', `${process.execPath} ${MAIN}`, '/dev/null'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: data.path, API_KEY: ADMIN_KEY, LOG_LEVEL: 'info', WA_WS_URL: sim.url, WA_VERSION_URL: sim.versionUrl, WA_ROOT_PUBLIC_KEY: sim.rootPublicKeyHex },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true
  });
  let out = '';
  try {
    await new Promise<void>((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line on the terminal: ${out}`)), 30_000);
      child.stdout!.on('data', d => {
        out += String(d);
        if (/wahub listening/.test(out)) {
          clearTimeout(timer);
          resolvePromise();
        }
      });
    });
    const plain = out.replace(/\x1b\[\d+m/g, '');
    const line = plain.split(/\r?\n/).find(l => l.includes('wahub listening'))!;
    expect(line).toMatch(/INFO.*wahub listening/);
    expect(() => JSON.parse(line) as unknown).toThrow();
    expect(plain.split(/\r?\n/).filter(l => l.trim().startsWith('{"level"'))).toEqual([]);
  } finally {
    // The whole group: `script` and the hub under it, both started here.
    process.kill(-child.pid!, 'SIGTERM');
    if (child.exitCode === null) await once(child, 'exit');
    data.cleanup();
  }
});
