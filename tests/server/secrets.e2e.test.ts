import { Writable } from 'node:stream';
import pino from 'pino';
import { buildApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { ADMIN_KEY, EventClient, hubClient } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator } from '../helpers/simulator.js';
import { tempDir } from '../helpers/temp-dir.js';

test('tokens and the admin key never appear in a log line, an event or an error', async () => {
  const sim: WhatsAppSimulator = await startSimulator();
  const dir = tempDir();
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    }
  });
  const config = loadConfig({ DATA_DIR: dir.path, API_KEY: ADMIN_KEY, LOG_LEVEL: 'trace', WA_WS_URL: sim.url, WA_VERSION_URL: sim.versionUrl, WA_ROOT_PUBLIC_KEY: sim.rootPublicKeyHex });
  const app = await buildApp({ config, logger: pino({ level: 'trace' }, sink) });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const api = hubClient(url);
  const clients: EventClient[] = [];
  try {
    sim.createAccount({ phone: '5591900000001', contacts: [{ phone: '5591900000010' }] });
    const { token, client } = await pairInstance(api, sim, 'secret', '5591900000001');
    clients.push(client);
    const bad = await api.request('GET', '/instance/connectionState/secret', undefined, `${token}x`);
    const refused = new EventClient(url, `${ADMIN_KEY}x`);
    clients.push(refused);
    const err = await refused.connected().catch(e => e as Error & { data?: unknown });
    await api.request('POST', '/message/sendText/secret', { number: '5591900000010', text: 'hello' }, token);
    await new Promise(r => setTimeout(r, 500));

    expect(lines.length).toBeGreaterThan(10); // the logs were really captured, at trace level
    const everything = JSON.stringify({ lines, events: client.events, bad, err: (err as { data?: unknown })?.data });
    for (const secret of [token, ADMIN_KEY]) expect(everything.includes(secret)).toBe(false);
  } finally {
    clients.forEach(c => c.close());
    await app.close();
    await sim.stop();
    dir.cleanup();
  }
});
