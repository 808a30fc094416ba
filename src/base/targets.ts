// Which network addresses a webhook may reach. Used when a webhook is saved
// and again, through the delivery agent's DNS lookup, for the address
// actually connected to, so DNS rebinding cannot reach the internal network.
//
// Only global unicast addresses are allowed. ipaddr.js (a maintained copy of
// the IANA special-purpose registries) names each address's range; an IPv6
// address that carries an IPv4 address (mapped, translated, compatible, NAT64,
// 6to4, Teredo) is judged by the IPv4 address it carries, because that is
// where a relay or a dual-stack socket would connect.
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

type IPv4 = ipaddr.IPv4;
type IPv6 = ipaddr.IPv6;

/** 2000::/3, the only IPv6 block allocated for global unicast. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
/** RFC 8215 local-use NAT64 prefix (not globally reachable, so only its /96 layout is accepted, and checked). */
const LOCAL_NAT64 = ipaddr.parseCIDR('64:ff9b:1::/48');

const v4 = (hi: number, lo: number): IPv4 => new ipaddr.IPv4([hi >> 8, hi & 255, lo >> 8, lo & 255]);

/**
 * The IPv4 addresses an IPv6 address carries, [] when it carries none, or
 * null when it is in a range that carries one in a layout we do not accept.
 */
function embeddedV4(address: IPv6): IPv4[] | null {
  const p = address.parts;
  switch (address.range()) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d
    case 'rfc6145': // ::ffff:0:a.b.c.d, IPv4-translated
      return [v4(p[6], p[7])];
    case 'rfc6052': // NAT64: 64:ff9b::a.b.c.d, or the local-use 64:ff9b:1::/48
      if (address.match(LOCAL_NAT64) && (p[3] !== 0 || p[4] !== 0 || p[5] !== 0)) return null;
      return [v4(p[6], p[7])];
    case '6to4': // 2002:AABB:CCDD::/48
      return [v4(p[1], p[2])];
    case 'teredo': // 2001:0:<server>:<flags>:<port>:<client, inverted>
      return [v4(p[2], p[3]), v4(p[6] ^ 0xffff, p[7] ^ 0xffff)];
  }
  // IPv4-compatible ::a.b.c.d (deprecated, and still routed by some stacks); includes :: and ::1.
  if (p.slice(0, 6).every((x) => x === 0)) return [v4(p[6], p[7])];
  return [];
}

function isGlobalV4(address: IPv4): boolean {
  return address.range() === 'unicast';
}

function isGlobalV6(address: IPv6): boolean {
  const carried = embeddedV4(address);
  if (carried === null) return false;
  if (carried.length) return carried.every(isGlobalV4);
  return address.match(GLOBAL_UNICAST_V6) && address.range() === 'unicast';
}

/**
 * True for an IP address (IPv4 or IPv6, optionally bracketed) that is not
 * global unicast: loopback, private, link-local, unique or site local,
 * multicast, reserved, documentation, or an IPv6 form carrying such an IPv4
 * address. False for global unicast addresses and for anything that is not
 * an IP address (host names are looked up first).
 */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  // node:net's isIP is strict (no "127.1" or hex shorthand): only what a URL
  // parser or a resolver hands over counts as an address here.
  const family = isIP(bare);
  if (family === 0) return false;
  let parsed: IPv4 | IPv6;
  try {
    parsed = ipaddr.parse(bare);
  } catch {
    return true; // an address node accepts but ipaddr.js cannot read: refuse rather than guess
  }
  return parsed.kind() === 'ipv4' ? !isGlobalV4(parsed as IPv4) : !isGlobalV6(parsed as IPv6);
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
