// Which network addresses a webhook may reach. Used when a webhook is saved
// and again, through the delivery agent's DNS lookup, for the address
// actually connected to, so DNS rebinding cannot reach the internal network.
import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network", includes the unspecified address
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, includes broadcast
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128],
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** The IPv4 address embedded in an IPv4-mapped or NAT64 IPv6 address. */
function embeddedV4(address: string): string | null {
  const m = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (m) return m[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return null;
  const hi = parseInt(hex[1], 16);
  const lo = parseInt(hex[2], 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family === 4) return blocked.check(bare, 'ipv4');
  if (family === 6) {
    const v4 = embeddedV4(bare.toLowerCase());
    if (v4) return blocked.check(v4, 'ipv4');
    return blocked.check(bare, 'ipv6');
  }
  return false;
}

export type TargetCheck = { ok: true } | { ok: false; message: string };

/**
 * Checks a target URL's scheme and, unless private targets are allowed, the
 * addresses its host resolves to. A host that does not resolve yet is
 * accepted; the delivery-time check still guards the connection.
 */
export async function checkTargetUrl(raw: string, allowPrivate: boolean): Promise<TargetCheck> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, message: 'targetUrl is not a valid URL' };
  }
  if (url.username || url.password) return { ok: false, message: 'targetUrl must not contain credentials' };
  if (allowPrivate) {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      return { ok: false, message: 'targetUrl must use https (or http when private targets are allowed)' };
    }
    return { ok: true };
  }
  if (url.protocol !== 'https:') return { ok: false, message: 'targetUrl must use https' };
  // "localhost." and "localhost" are the same host: drop the root label's dot.
  const host = url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.+$/, '')
    .toLowerCase();
  if (!host) return { ok: false, message: 'targetUrl has no host name' };
  if (isIP(host)) {
    return isPrivateAddress(host) ? { ok: false, message: `targetUrl points to a private or reserved address (${host})` } : { ok: true };
  }
  if (host === 'localhost' || host.endsWith('.localhost')) {
    return { ok: false, message: 'targetUrl points to localhost' };
  }
  try {
    const addresses = await lookup(host, { all: true, verbatim: true });
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad) return { ok: false, message: `targetUrl host ${host} resolves to a private or reserved address (${bad.address})` };
  } catch {
    // Not resolvable now: accepted, and checked again at delivery time.
  }
  return { ok: true };
}
