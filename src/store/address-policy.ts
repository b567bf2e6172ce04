import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * SSRF protection for webhook URLs. Only public unicast addresses are allowed: ipaddr.js classifies
 * every special-use range of the IANA registries (loopback, private, link-local, CGNAT, multicast,
 * unspecified, broadcast, documentation, benchmarking, reserved, ULA, 6to4, Teredo, NAT64...), and an
 * IPv4-mapped or -compatible IPv6 address is judged by the IPv4 address inside it.
 */
export function isPublicAddress(address: string): boolean {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address);
  } catch {
    return false;
  }
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.range() === 'ipv4Mapped') {
      const parts = v6.parts;
      // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, deprecated): judge the IPv4 address.
      const v4 = new ipaddr.IPv4([parts[6] >> 8, parts[6] & 0xff, parts[7] >> 8, parts[7] & 0xff]);
      return v4.range() === 'unicast';
    }
    return v6.range() === 'unicast';
  }
  return parsed.range() === 'unicast';
}

export class AddressRefusedError extends Error {
  constructor(readonly address: string) {
    super(`the address ${address} is not a public address (private networks are not allowed)`);
  }
}

/** What is wrong with a webhook URL's form, or null (scheme, host, no credentials). */
export function urlProblem(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute http:// or https:// URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL';
  if (!url.hostname) return 'must name a host';
  if (url.username || url.password) return 'must not contain credentials';
  return null;
}

/** The host of a URL as a resolver or an IP check wants it (IPv6 literals without brackets). */
export function hostOf(url: URL): string {
  const h = url.hostname;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/** Resolves a host name (or takes an IP literal) to all its addresses. */
export function resolveAll(host: string): Promise<LookupAddress[]> {
  if (isIP(host)) return Promise.resolve([{ address: host, family: isIP(host) }]);
  return new Promise((resolve, reject) => {
    dnsLookup(host, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses)));
  });
}

/** Throws AddressRefusedError unless every address the host resolves to is public (or private networks are allowed). */
export async function assertPublicHost(host: string, allowPrivate: boolean): Promise<void> {
  const addresses = await resolveAll(host);
  if (!addresses.length) throw new Error(`${host} has no address`);
  if (allowPrivate) return;
  for (const a of addresses) if (!isPublicAddress(a.address)) throw new AddressRefusedError(a.address);
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request: resolves like Node does, then refuses the connection when any
 * resolved address is not public, so the address actually connected to is the one checked (DNS
 * may answer differently than when the URL was saved).
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: { all?: boolean; family?: number } | number, callback: LookupCallback): void => {
    const opts = typeof options === 'number' ? { family: options } : options ?? {};
    dnsLookup(hostname, { all: true, verbatim: true, family: opts.family as 0 | 4 | 6 | undefined }, (err, addresses) => {
      if (err) return callback(err, []);
      if (!allowPrivate) {
        const bad = addresses.find((a) => !isPublicAddress(a.address));
        if (bad) return callback(Object.assign(new AddressRefusedError(bad.address), { code: 'EADDRREFUSED' }), []);
      }
      if (opts.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}
