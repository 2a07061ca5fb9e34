import ipaddr from "ipaddr.js";

type Address = ipaddr.IPv4 | ipaddr.IPv6;

// Explicit IPv4 blocks refused on top of ipaddr.js `range()`, so the guard does not silently widen if a
// later ipaddr.js release reclassifies one of them as "unicast" (RFC 6890 special-purpose registry).
const REFUSED_IPV4_BLOCKS: readonly [ipaddr.IPv4, number][] = [
  "0.0.0.0/8", // "this network" (RFC 791); 0.0.0.0 reaches the local host on Linux
  "10.0.0.0/8", // RFC 1918
  "100.64.0.0/10", // CGNAT (RFC 6598)
  "127.0.0.0/8", // loopback
  "169.254.0.0/16", // link-local (RFC 3927), cloud metadata at 169.254.169.254
  "172.16.0.0/12", // RFC 1918
  "192.0.0.0/24", // IETF protocol assignments (RFC 6890)
  "192.0.2.0/24", // TEST-NET-1 (RFC 5737)
  "192.88.99.0/24", // 6to4 relay anycast (RFC 7526)
  "192.168.0.0/16", // RFC 1918
  "198.18.0.0/15", // benchmarking (RFC 2544)
  "198.51.100.0/24", // TEST-NET-2
  "203.0.113.0/24", // TEST-NET-3
  "224.0.0.0/4", // multicast
  "240.0.0.0/4", // reserved, and 255.255.255.255 broadcast
].map((cidr) => ipaddr.IPv4.parseCIDR(cidr));

// IANA allocates global unicast IPv6 only from 2000::/3 (RFC 4291 §2.4); everything outside it that is
// not an IPv4 embedding handled below (IPv4-compatible ::/96, site-local, discard, ...) is refused.
const GLOBAL_UNICAST_IPV6 = ipaddr.IPv6.parseCIDR("2000::/3");
const REFUSED_IPV6_BLOCKS: readonly [ipaddr.IPv6, number][] = [
  "2001:db8::/32", // documentation (RFC 3849)
  "3fff::/20", // documentation (RFC 9637)
  "2001:2::/48", // benchmarking (RFC 5180)
].map((cidr) => ipaddr.IPv6.parseCIDR(cidr));

/**
 * Whether a connection to `address` would leave for the public internet. The CIMD fetch (SSRF guard,
 * draft-ietf-oauth-client-id-metadata-document §6.5) refuses everything else: loopback, private,
 * link-local, CGNAT, ULA, multicast, documentation and reserved ranges, and any IPv6 form that embeds
 * such an IPv4 address (mapped, SIIT, 6to4, Teredo, NAT64). Unparseable input and zone ids are refused.
 */
export function isPublicUnicastAddress(address: string): boolean {
  const literal = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  if (literal.includes("%") || !ipaddr.isValid(literal)) return false;
  // Only canonical dotted quads: ipaddr.js also accepts "0x7f.1" and "2130706433", which no resolver returns.
  if (!literal.includes(":")) return ipaddr.IPv4.isValidFourPartDecimal(literal) && isPublic(ipaddr.parse(literal));
  const hex = withHexTail(literal);
  return hex !== null && ipaddr.IPv6.isValid(hex) && isPublic(ipaddr.IPv6.parse(hex));
}

/**
 * Rewrites a trailing dotted quad ("::7f00:1" for "::127.0.0.1"): ipaddr.js reads every such form as
 * IPv4-mapped, but "::8.8.8.8" is the IPv4-compatible ::808:808, a different address.
 */
function withHexTail(literal: string): string | null {
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(literal)?.[1];
  if (tail === undefined) return literal;
  if (!ipaddr.IPv4.isValidFourPartDecimal(tail)) return null;
  const [a = 0, b = 0, c = 0, d = 0] = ipaddr.IPv4.parse(tail).octets;
  const words = `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  return `${literal.slice(0, -tail.length)}${words}`;
}

function isPublic(address: Address): boolean {
  return address.kind() === "ipv4" ? isPublicIpv4(address as ipaddr.IPv4) : isPublicIpv6(address as ipaddr.IPv6);
}

function isPublicIpv4(address: ipaddr.IPv4): boolean {
  if (address.range() !== "unicast") return false;
  return !REFUSED_IPV4_BLOCKS.some((block) => address.match(block));
}

function isPublicIpv6(address: ipaddr.IPv6): boolean {
  const parts = address.parts;
  switch (address.range()) {
    case "ipv4Mapped": // ::ffff:a.b.c.d (RFC 4291 §2.5.5.2): the kernel connects to a.b.c.d
    case "rfc6145": // ::ffff:0:a.b.c.d (SIIT, RFC 6145)
      return isPublicIpv4(ipv4From(parts[6], parts[7]));
    case "6to4": // 2002:AABB:CCDD::/48 (RFC 3056) tunnels to AA.BB.CC.DD
      return isPublicIpv4(ipv4From(parts[1], parts[2]));
    case "teredo": // 2001:0:SSSS:SSSS:flags:port:CCCC:CCCC (RFC 4380): server, and client XOR 0xffff
      return (
        isPublicIpv4(ipv4From(parts[2], parts[3])) &&
        isPublicIpv4(ipv4From(xorWord(parts[6]), xorWord(parts[7])))
      );
    case "rfc6052": {
      // 64:ff9b::/96 is the well-known NAT64 prefix (RFC 6052); the gateway connects to the last 32 bits.
      // 64:ff9b:1::/48 is for local NAT64 deployments (RFC 8215), never a public destination.
      const wellKnown = parts[2] === 0 && parts[3] === 0 && parts[4] === 0 && parts[5] === 0;
      return wellKnown && isPublicIpv4(ipv4From(parts[6], parts[7]));
    }
    case "unicast":
      return address.match(GLOBAL_UNICAST_IPV6) && !REFUSED_IPV6_BLOCKS.some((block) => address.match(block));
    default:
      return false;
  }
}

function ipv4From(high: number | undefined, low: number | undefined): ipaddr.IPv4 {
  const h = high ?? 0;
  const l = low ?? 0;
  return new ipaddr.IPv4([h >> 8, h & 0xff, l >> 8, l & 0xff]);
}

function xorWord(word: number | undefined): number {
  return (word ?? 0) ^ 0xffff;
}
