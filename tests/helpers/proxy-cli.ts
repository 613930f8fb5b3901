import type { AddressInfo } from 'node:net';
import { proxyServer } from './proxy-server.js';

/**
 * The test proxy as its own process: `PROXY_USER`/`PROXY_PASS` require credentials.
 * Prints `PROXY_PORT=<port>` once it listens on 127.0.0.1.
 */
const user = process.env.PROXY_USER;
const pass = process.env.PROXY_PASS;
const { server } = proxyServer(user && pass ? { user, pass } : undefined);
server.listen(0, '127.0.0.1', () => process.stdout.write(`PROXY_PORT=${(server.address() as AddressInfo).port}\n`));
// Open tunnels would hold a graceful close; the test is done with them.
process.once('SIGTERM', () => process.exit(0));
