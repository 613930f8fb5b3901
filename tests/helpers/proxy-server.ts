import { createServer, connect, type Server, type Socket } from 'node:net';

/** A tunnel the proxy opened: to where, over which protocol. */
export interface Tunnel {
  protocol: 'http' | 'socks5';
  target: string;
  user: string | null;
}

/**
 * A small forwarding proxy on node:net for tests: HTTP `CONNECT` (with optional Basic
 * credentials, 407 otherwise) and SOCKS5 (no auth, or username/password) on one port,
 * told apart by the first byte. A plain `GET /stats` answers the tunnels opened so far.
 */
export function proxyServer(credentials?: { user: string; pass: string }): { server: Server; tunnels: Tunnel[] } {
  const tunnels: Tunnel[] = [];
  const server = createServer(client => {
    client.on('error', () => undefined);
    client.once('data', first => (first[0] === 0x05 ? socks5(client, first) : http(client, first)));
  });

  const pipe = (client: Socket, host: string, port: number, tunnel: Tunnel, ok: () => void, fail: () => void) => {
    const upstream = connect(port, host, () => {
      tunnels.push(tunnel);
      ok();
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => {
      fail();
      client.destroy();
    });
    client.on('close', () => upstream.destroy());
  };

  const http = (client: Socket, first: Buffer) => {
    let head = first.toString('latin1');
    const onData = (more: Buffer) => {
      head += more.toString('latin1');
      if (head.includes('\r\n\r\n')) handle();
    };
    const handle = () => {
      client.off('data', onData);
      const [line = '', ...headers] = head.split('\r\n\r\n')[0]!.split('\r\n');
      const [method, target = ''] = line.split(' ');
      if (method === 'GET' && target === '/stats') {
        const body = JSON.stringify({ tunnels });
        client.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
        return;
      }
      if (method !== 'CONNECT') return void client.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
      const auth = headers.find(h => h.toLowerCase().startsWith('proxy-authorization:'))?.split(' ').pop();
      const [user, pass] = auth ? Buffer.from(auth, 'base64').toString().split(':') : [];
      if (credentials && (user !== credentials.user || pass !== credentials.pass)) {
        return void client.end('HTTP/1.1 407 Proxy Authentication Required\r\nproxy-authenticate: Basic realm="test"\r\n\r\n');
      }
      const i = target.lastIndexOf(':');
      pipe(
        client,
        target.slice(0, i),
        Number(target.slice(i + 1)),
        { protocol: 'http', target, user: user ?? null },
        () => client.write('HTTP/1.1 200 Connection Established\r\n\r\n'),
        () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n')
      );
    };
    if (head.includes('\r\n\r\n')) handle();
    else client.on('data', onData);
  };

  // RFC 1928 with RFC 1929 username/password; reads each message whole, as a local client sends them.
  const socks5 = (client: Socket, greeting: Buffer) => {
    const methods = [...greeting.subarray(2, 2 + (greeting[1] ?? 0))];
    const method = credentials ? 0x02 : 0x00;
    if (!methods.includes(method)) return void client.end(Buffer.from([0x05, 0xff]));
    client.write(Buffer.from([0x05, method]));
    let user: string | null = null;
    const request = (req: Buffer) => {
      const type = req[3];
      let host: string;
      let at: number;
      if (type === 0x01) [host, at] = [[...req.subarray(4, 8)].join('.'), 8];
      else if (type === 0x03) [host, at] = [req.subarray(5, 5 + req[4]!).toString(), 5 + req[4]!];
      else return void client.end(Buffer.from([0x05, 0x08, 0x00, 0x01, 0, 0, 0, 0, 0, 0]));
      const port = req.readUInt16BE(at);
      pipe(
        client,
        host,
        port,
        { protocol: 'socks5', target: `${host}:${port}`, user },
        () => client.write(Buffer.from([0x05, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0])),
        () => client.end(Buffer.from([0x05, 0x05, 0x00, 0x01, 0, 0, 0, 0, 0, 0]))
      );
    };
    if (!credentials) return void client.once('data', request);
    client.once('data', auth => {
      const ulen = auth[1]!;
      const name = auth.subarray(2, 2 + ulen).toString();
      const pass = auth.subarray(3 + ulen, 3 + ulen + auth[2 + ulen]!).toString();
      if (name !== credentials.user || pass !== credentials.pass) return void client.end(Buffer.from([0x01, 0x01]));
      user = name;
      client.write(Buffer.from([0x01, 0x00]));
      client.once('data', request);
    });
  };

  return { server, tunnels };
}
