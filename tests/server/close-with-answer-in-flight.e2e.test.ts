import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { ADMIN_KEY, startHub, type TestHub } from '../helpers/hub.js';
import { parseResponse, rawConnect } from '../helpers/raw-http.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';

let sim: WhatsAppSimulator;
let hub: TestHub;
let closing: Promise<void> | undefined;

beforeAll(async () => {
  sim = await startSimulator();
  hub = await startHub(sim);
});
afterAll(async () => {
  await (closing ?? hub?.close());
  await sim.stop();
});

// Node's server close ends the keep-alive connections idle at that moment; a connection whose
// request was in flight stayed open after its answer for the whole keep-alive timeout (72 s).
test('a request in flight when the hub begins to close is answered, and the close does not wait on its keep-alive connection', async () => {
  const conn = await rawConnect(hub.url);
  const body = JSON.stringify({ instanceName: 'late' });
  // With 100-continue the hub says when it has the request's head: from then on the request is in flight.
  conn.socket.write(
    `POST /instance/create HTTP/1.1\r\nhost: hub\r\napikey: ${ADMIN_KEY}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nexpect: 100-continue\r\n\r\n`
  );
  await waitUntil(() => conn.received().startsWith('HTTP/1.1 100 Continue'), 10_000);
  closing = hub.close();
  conn.socket.write(body);
  await closing;
  await conn.closed(10_000);
  const answer = parseResponse(conn.received().slice(conn.received().indexOf('\r\n\r\n') + 4));
  expect(answer.status).toBe(201);
  expect(answer.headers.connection).not.toBe('close');
});
