import type { Agent } from 'node:https';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { SocksProxyAgent } from 'socks-proxy-agent';

/** The agents Baileys takes: `agent` carries the WhatsApp WebSocket, `fetchAgent` its media uploads (downloads build their own, media-download.ts). */
export interface ProxyAgents {
  agent: Agent;
  fetchAgent: Agent;
}

const SOCKS = new Set(['socks:', 'socks4:', 'socks4a:', 'socks5:', 'socks5h:']);

/**
 * Why a proxy URL cannot be used, or undefined when it can. Checked when the setting is
 * made, so a socket is never built on a URL that would only fail at connect time.
 */
export function proxyProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `proxy ${JSON.stringify(redactProxy(url))} is not a URL`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:' && !SOCKS.has(parsed.protocol)) return `proxy scheme ${parsed.protocol} is not http, https or socks5`;
  if (!parsed.hostname) return 'proxy has no host';
  if (!parsed.port) return 'proxy has no port';
  if (parsed.pathname !== '/' && parsed.pathname !== '') return 'proxy URL has a path';
  return undefined;
}

/**
 * An agent through the proxy: HTTP(S) proxies tunnel with CONNECT, SOCKS ones with their handshake.
 * Both are agent-base agents: they serve http and https requests alike, which is what Baileys' Agent type means.
 */
export function proxyAgent(url: string): Agent {
  return (SOCKS.has(new URL(url).protocol) ? new SocksProxyAgent(url) : new HttpsProxyAgent(url)) as unknown as Agent;
}

/** One agent pair per socket. */
export function proxyAgents(url: string): ProxyAgents {
  return { agent: proxyAgent(url), fetchAgent: proxyAgent(url) };
}

/** The URL with its password masked, for answers and logs: a proxy's credentials are secrets. */
export function redactProxy(url: string): string {
  return url.replace(/^([a-z0-9+.-]+:\/\/[^:@/\s]*):[^@/\s]*@/i, '$1:***@');
}
