import { STATUS_CODES, type Server, type ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { ErrorBody } from '../errors.js';

type Limits = Pick<Config, 'HTTP_HEADERS_TIMEOUT_MS' | 'HTTP_REQUEST_TIMEOUT_MS' | 'HTTP_MAX_CONNECTIONS'>;

/** What Node's parser says about a request it could not read, in the hub's words (never the client's bytes). */
const CLIENT_ERRORS: Record<string, { status: number; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, message: 'the request did not arrive in time' },
  HPE_HEADER_OVERFLOW: { status: 431, message: 'the request headers are too large' },
  HPE_UNEXPECTED_CONTENT_LENGTH: { status: 400, message: 'Content-Length and Transfer-Encoding together are refused' },
  HPE_INVALID_TRANSFER_ENCODING: { status: 400, message: 'invalid Transfer-Encoding' },
  HPE_INVALID_CONTENT_LENGTH: { status: 400, message: 'invalid Content-Length' },
  HPE_INVALID_METHOD: { status: 400, message: 'malformed request line' },
  HPE_INVALID_URL: { status: 400, message: 'malformed request line' },
  HPE_INVALID_VERSION: { status: 400, message: 'malformed request line' }
};

/**
 * Fastify's server options for the limits. Fastify leaves `requestTimeout` at 0, and with
 * it Node never expires a connection that sends half its headers and goes silent
 * (slowloris). Node checks the deadlines only every `connectionsCheckingInterval`
 * (30 s by default), so the check runs often enough for the shortest one to hold.
 */
export function httpServerOptions(limits: Limits): { requestTimeout: number; http: ServerOptions } {
  // Node refuses a headers timeout longer than the request timeout.
  const headersTimeout = Math.min(limits.HTTP_HEADERS_TIMEOUT_MS, limits.HTTP_REQUEST_TIMEOUT_MS);
  return {
    requestTimeout: limits.HTTP_REQUEST_TIMEOUT_MS,
    http: { headersTimeout, connectionsCheckingInterval: Math.min(1000, Math.ceil(headersTimeout / 4)) }
  };
}

/**
 * Errors raised below Fastify (the request could not be parsed, or did not arrive in
 * time) answered in the same `{status, error, message}` shape as every other refusal.
 */
export function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const known = CLIENT_ERRORS[err.code ?? ''] ?? { status: 400, message: 'malformed request' };
  const body: ErrorBody = { status: known.status, error: STATUS_CODES[known.status] ?? 'Error', message: known.message };
  const json = JSON.stringify(body);
  this.log.debug({ code: err.code, status: known.status }, 'refused a request Node could not read');
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${known.status} ${body.error}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\n` +
        `X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${json}`
    );
  }
  socket.destroy();
}

/**
 * Limits set on the listening server itself: the connection cap, and `nosniff` on every
 * response, whoever writes it (Fastify routes, static files, /docs, Socket.IO's own
 * HTTP answers), set before any of them runs.
 */
export function hardenServer(server: Server, limits: Limits): void {
  server.maxConnections = limits.HTTP_MAX_CONNECTIONS;
  server.prependListener('request', (_req, res) => res.setHeader('x-content-type-options', 'nosniff'));
  // Node's close() ends only the keep-alive connections idle at that moment: one whose answer
  // was still being written would hold the hub's shutdown open for the whole keep-alive timeout.
  // So once closing, connections are ended as they fall idle (swept, rather than a listener on
  // every response: that one cost a few percent of a small route's throughput).
  const close = server.close.bind(server);
  let sweep: NodeJS.Timeout | undefined;
  server.close = ((callback?: (err?: Error) => void) => {
    if (!sweep) {
      sweep = setInterval(() => server.closeIdleConnections(), 20).unref();
      server.once('close', () => clearInterval(sweep));
    }
    return close(callback);
  }) as typeof server.close;
}
