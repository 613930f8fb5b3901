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
