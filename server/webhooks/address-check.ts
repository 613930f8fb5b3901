import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

// Where an instance token must not point the hub: the hub's own host and the networks behind it.
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4]
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8]
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** Whether an IP address is reachable only from inside (loopback, private, link-local, unspecified, multicast). */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family !== 6) return true;
  // An IPv4-mapped IPv6 address (::ffff:127.0.0.1) reaches the IPv4 host.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? blocked.check(mapped[1]!, 'ipv4') : blocked.check(address, 'ipv6');
}

/**
 * Why the hub may not call out to `url`, or undefined when it may; `label` names the URL in
 * the reason ("url", "media URL"). `allowPrivate` skips the address check.
 */
export async function refuseOutboundUrl(url: URL, allowPrivate: boolean, label: string): Promise<string | undefined> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${label} must be http or https`;
  if (url.username || url.password) return `${label} must not carry credentials`;
  if (allowPrivate) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true, verbatim: true })).map(a => a.address);
  } catch {
    return `${label}'s host ${host} does not resolve`;
  }
  // Every address counts: a name that also resolves inside could be pointed there later by the resolver.
  if (addresses.length === 0 || addresses.some(isPrivateAddress)) return `${label}'s host ${host} is a loopback, private or link-local address`;
  return undefined;
}

/** Why a webhook URL is refused, or undefined when it is acceptable. `allowPrivate` skips the address check. */
export async function refuseWebhookUrl(raw: string, allowPrivate: boolean): Promise<string | undefined> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'url is not a valid URL';
  }
  return refuseOutboundUrl(url, allowPrivate, 'url');
}
