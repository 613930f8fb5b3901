import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { ADMIN_KEY, startHub, type TestHub } from '../helpers/hub.js';
import { parseResponse, rawConnect, type RawConnection } from '../helpers/raw-http.js';
import { startSimulator } from '../helpers/simulator.js';

let sim: WhatsAppSimulator;
let hub: TestHub;
const open: RawConnection[] = [];

const raw = async (url: string) => {
  const c = await rawConnect(url);
  open.push(c);
  return c;
};

beforeAll(async () => {
  sim = await startSimulator();
  hub = await startHub(sim, { env: { HTTP_HEADERS_TIMEOUT_MS: '500', HTTP_REQUEST_TIMEOUT_MS: '1000' } });
});
afterAll(async () => {
  open.forEach(c => c.socket.destroy());
  await hub.close();
  await sim.stop();
});

const expectErrorShape = (raw: string, status: number) => {
  const res = parseResponse(raw);
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  const body = JSON.parse(res.body);
  expect(Object.keys(body).sort()).toEqual(['error', 'message', 'status']);
  expect(body.status).toBe(status);
  return body;
};

test('slowloris: a connection that trickles its headers and never ends them is answered 408 and closed', async () => {
  const c = await raw(hub.url);
  c.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n');
  const trickle = setInterval(() => !c.socket.destroyed && c.socket.write('X'), 100);
  try {
    const { afterMs } = await c.closed(5000);
    expect(afterMs).toBeGreaterThanOrEqual(450);
  } finally {
    clearInterval(trickle);
  }
  expect(expectErrorShape(c.received(), 408)).toEqual({ status: 408, error: 'Request Timeout', message: 'the request did not arrive in time' });
});

test('a request whose body stops half way is answered 408 and closed', async () => {
  const c = await raw(hub.url);
  c.socket.write(`POST /instance/create HTTP/1.1\r\nHost: x\r\napikey: ${ADMIN_KEY}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"instan`);
  await c.closed(5000);
  expectErrorShape(c.received(), 408);
});

test('errors raised by Node below Fastify answer in the {status, error, message} shape', async () => {
  const cases: { name: string; request: string; status: number }[] = [
    { name: 'header too large', request: `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, status: 431 },
    { name: 'malformed request line', request: 'HELLO THERE\r\n\r\n', status: 400 },
    {
      name: 'Content-Length with Transfer-Encoding',
      request: 'POST /instance/create HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      status: 400
    }
  ];
  for (const { name, request, status } of cases) {
    const c = await raw(hub.url);
    c.socket.write(request);
    await c.closed(5000);
    expect({ name, status: parseResponse(c.received()).status }).toEqual({ name, status });
    expectErrorShape(c.received(), status);
  }
});

test('nosniff on every response: routes, errors, /docs, static files and Socket.IO', async () => {
  const paths = ['/health', '/docs', '/docs/json', '/', '/app.js', '/style.css', '/no-such-route', '/instance/fetchInstances', '/socket.io/?EIO=4&transport=polling'];
  for (const path of paths) {
    const res = await fetch(`${hub.url}${path}`);
    await res.arrayBuffer();
    expect({ path, nosniff: res.headers.get('x-content-type-options') }).toEqual({ path, nosniff: 'nosniff' });
  }
});

test('beyond HTTP_MAX_CONNECTIONS new connections are dropped; one freed slot lets a request through', async () => {
  const limited = await startHub(sim, { env: { HTTP_MAX_CONNECTIONS: '4' } });
  try {
    const held = await Promise.all(Array.from({ length: 4 }, () => raw(limited.url)));
    // Each held connection is a live one: it gets an answer.
    for (const c of held) c.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    const deadline = Date.now() + 5000;
    while (held.some(c => !c.received().includes('"ok"')) && Date.now() < deadline) await new Promise(r => setTimeout(r, 20));
    expect(held.map(c => parseResponse(c.received()).status)).toEqual([200, 200, 200, 200]);

    const extra = await raw(limited.url);
    extra.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    await extra.closed(5000);
    expect(extra.received()).toBe('');

    held[0]!.socket.destroy();
    await held[0]!.closed(1000);
    let answered = '';
    for (let i = 0; i < 50 && !answered.includes('"ok"'); i++) {
      const next = await raw(limited.url);
      next.socket.write('GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      await next.closed(5000);
      answered = next.received();
    }
    expect(parseResponse(answered).status).toBe(200);
  } finally {
    open.forEach(c => c.socket.destroy());
    await limited.close();
  }
});
