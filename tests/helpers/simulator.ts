import { WhatsAppSimulator, type SimulatorOptions } from '../../simulator/simulator.js';
import type { AccountSpec } from '../../simulator/model.js';
import { TestClient } from './baileys-client.js';


export async function startSimulator(opts: SimulatorOptions = {}): Promise<WhatsAppSimulator> {
  return new WhatsAppSimulator(opts).start();
}

/** Creates the account, starts a fresh client, scans its first QR and waits until it is open. */
export async function pairedClient(
  sim: WhatsAppSimulator,
  spec: AccountSpec,
  opts: { reconnectOnDrop?: boolean } = {}
): Promise<TestClient> {
  sim.createAccount(spec);
  const client = new TestClient(sim.url, undefined, opts).start();
  const { qr } = await client.waitFor('connection.update', u => !!u.qr);
  await sim.scan(spec.phone, qr!);
  await client.waitFor('connection.update', u => u.connection === 'open');
  return client;
}

/** Polls until the condition holds; for state the simulator records asynchronously. */
export async function waitUntil(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise(r => setTimeout(r, 20));
  }
}
