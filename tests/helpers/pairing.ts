import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { EventClient, type hubClient } from './hub.js';

/** Creates an instance over REST, subscribes a socket with its token, connects, scans the QR and waits for open. */
export async function pairInstance(hub: ReturnType<typeof hubClient>, sim: Pick<WhatsAppSimulator, 'scan'>, name: string, phone: string): Promise<{ token: string; client: EventClient }> {
  const created = await hub.request('POST', '/instance/create', { instanceName: name });
  if (created.status !== 201) throw new Error(`create failed: ${JSON.stringify(created.json)}`);
  const token = created.json.token as string;
  const client = new EventClient(hub.url, token);
  await client.connected();
  const ack = await client.emit('subscribe', { instance: name });
  if (!ack.ok) throw new Error(`subscribe failed: ${JSON.stringify(ack)}`);
  await hub.request('GET', `/instance/connect/${name}`, undefined, token);
  const qr = await client.waitFor('qrcode.updated');
  await sim.scan(phone, qr.data.qrcode.code);
  await client.waitFor('connection.update', e => e.data.state === 'open');
  return { token, client };
}

/**
 * Creates and pairs many instances at once through one hub, all followed by one
 * socket `client` opened with the admin key: each is subscribed before its
 * connect, so the client sees its whole log. In a cluster, `ready` waits until a node
 * holds the new instance: a connect that finds no holder would open nothing. Returns each instance's token.
 */
export async function pairInstances(
  hub: ReturnType<typeof hubClient>,
  sim: Pick<WhatsAppSimulator, 'scan'>,
  client: EventClient,
  accounts: { name: string; phone: string }[],
  opts: { ready?: (name: string) => Promise<unknown>; timeoutMs?: number; concurrency?: number } = {}
): Promise<Map<string, string>> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const tokens = new Map<string, string>();
  // A socket runs one subscribe at a time (the hub refuses a second while one replays): they queue here.
  let subscribing: Promise<unknown> = Promise.resolve();
  const pending = [...accounts];
  const pair = async ({ name, phone }: { name: string; phone: string }) => {
      const created = await hub.request('POST', '/instance/create', { instanceName: name });
      if (created.status !== 201) throw new Error(`create ${name} failed: ${JSON.stringify(created.json)}`);
      tokens.set(name, created.json.token as string);
      const ack = await (subscribing = subscribing.then(() => client.emit('subscribe', { instance: name })));
      if (!ack.ok) throw new Error(`subscribe ${name} failed: ${JSON.stringify(ack)}`);
      // A pairing whose connection ends before the phone's scan lands (in a cluster: the lease
      // moved, or a starved node stepped down) needs a new connect and a new QR, as for a user.
      for (let attempt = 1; ; attempt++) {
        await opts.ready?.(name);
        const shown = client.of('qrcode.updated').length;
        const connect = await hub.request('GET', `/instance/connect/${name}`);
        if (connect.status !== 200) throw new Error(`connect ${name} failed: ${JSON.stringify(connect.json)}`);
        const qr = await client.waitFor('qrcode.updated', e => e.instance.name === name && client.of('qrcode.updated').indexOf(e) >= shown, timeoutMs);
        try {
          await sim.scan(phone, qr.data.qrcode.code);
          break;
        } catch (err) {
          if (attempt === 3) throw err;
        }
      }
      await client.waitFor('connection.update', e => e.instance.name === name && e.data.state === 'open', timeoutMs);
  };
  // A few at a time: each pairing costs its node CPU, and a node starved long enough steps down from its leases.
  await Promise.all(
    Array.from({ length: Math.min(opts.concurrency ?? accounts.length, accounts.length) }, async () => {
      for (let next = pending.shift(); next; next = pending.shift()) await pair(next);
    })
  );
  return tokens;
}
