import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { EventClient, startHub } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';
import { tempDir } from '../helpers/temp-dir.js';

test('retention prunes old events on start; a client resuming from before them is told of the gap, and seq goes on', async () => {
  const sim: WhatsAppSimulator = await startSimulator();
  const dir = tempDir();
  const clients: EventClient[] = [];
  try {
    sim.createAccount({ phone: '5531940000001', contacts: [{ phone: '5531940000010' }] });
    let hub = await startHub(sim, { dataDir: dir.path, env: { EVENT_RETENTION_COUNT: '10' } });
    const { token, client } = await pairInstance(hub, sim, 'kept', '5531940000001');
    clients.push(client);
    for (let i = 0; i < 20; i++) await sim.sendText('5531940000001', '5531940000010', `n${i}`);
    await waitUntil(() => client.of('new.message').length === 20, 20_000);
    const lastSeq = client.events.at(-1)!.seq;
    await hub.close();

    hub = await startHub(sim, { dataDir: dir.path, env: { EVENT_RETENTION_COUNT: '10' } });
    try {
      const id = hub.app.hub.registry.get('kept').row.id;
      // Of what the first run logged, only the newest 10 are left (the reconnect logs more after the prune).
      expect(hub.app.storage.db.prepare('SELECT COUNT(*) FROM event_log WHERE instance_id = ? AND seq <= ?').pluck().get(id, lastSeq)).toBe(10);
      const back = new EventClient(hub.url, token);
      clients.push(back);
      await back.connected();
      const ack = await back.emit('subscribe', { instance: 'kept', after: 1 });
      expect(ack).toMatchObject({ ok: true, data: { gap: true, more: false, reset: false } });
      const fresh = new EventClient(hub.url, token);
      clients.push(fresh);
      await fresh.connected();
      expect(await fresh.emit('subscribe', { instance: 'kept', after: lastSeq })).toMatchObject({ ok: true, data: { gap: false, replayed: expect.any(Number) } });
      expect(hub.app.hub.registry.lastSeq(hub.app.hub.registry.get('kept'))).toBeGreaterThanOrEqual(lastSeq);
    } finally {
      await hub.close();
    }
  } finally {
    clients.forEach(c => c.close());
    await sim.stop();
    dir.cleanup();
  }
});
