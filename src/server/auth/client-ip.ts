import { BlockList, isIP } from "node:net";
import { env, type TrustedProxies } from "~/env";

/**
 * The header server.mjs sets on every request to the socket's peer address, replacing whatever a client
 * sent under that name. Route handlers cannot see the socket (NextRequest.ip is gone since Next 15), so the
 * custom server hands it over this way. Believed only when server.mjs says it runs (CARESTRAL_SOCKET_ADDRESS_HEADER):
 * under next dev or a bare next start, nothing overwrites it and a client could pick its own address.
 */
export const SOCKET_ADDRESS_HEADER = "x-carestral-socket-address";

/** Whether this process runs under server.mjs, which writes SOCKET_ADDRESS_HEADER itself. */
export function socketAddressIsKnown(): boolean {
  return env.CARESTRAL_SOCKET_ADDRESS_HEADER === "1";
}

/**
 * The client's address for rate limiting, or "unknown". With no TRUSTED_PROXIES, X-Forwarded-For is
 * ignored (a client writes what it likes there) and the socket address is the client. With a hop count N,
 * the Nth address from the right of [X-Forwarded-For…, socket] is: each trusted proxy appended the peer it
 * saw. With CIDRs, addresses are skipped from the right while they belong to a trusted network.
 */
export function clientIpFromHeaders(
  headers: Headers,
  trusted: TrustedProxies = env.TRUSTED_PROXIES,
  socketHeaderIsOurs: boolean = socketAddressIsKnown(),
): string {
  const socket = socketHeaderIsOurs ? normalizeIp(headers.get(SOCKET_ADDRESS_HEADER)) : null;
  if (trusted.kind === "none") return socket ?? "unknown";

  const forwarded = (headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  // Without server.mjs (next dev, next start) there is no socket header: Next then puts the socket
  // address in X-Forwarded-For only when the client sent none, so the chain ends there.
  const chain = socket ? [...forwarded, socket] : forwarded;
  if (chain.length === 0) return "unknown";

  let index: number;
  if (trusted.kind === "hops") {
    index = Math.max(0, chain.length - 1 - trusted.hops);
  } else {
    const networks = blockListFor(trusted.cidrs);
    index = chain.length - 1;
    while (index > 0 && isInList(networks, chain[index] ?? "")) index -= 1;
  }
  return normalizeIp(chain[index] ?? null) ?? "unknown";
}

/** The address in canonical form, or null when it is not an IP address (a rate-limit key must be one). */
export function normalizeIp(value: string | null): string | null {
  let candidate = value?.trim() ?? "";
  if (candidate.startsWith("[") && candidate.endsWith("]")) candidate = candidate.slice(1, -1);
  // IPv4 seen on an IPv6 socket.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(candidate);
  if (mapped?.[1]) candidate = mapped[1];
  const family = isIP(candidate);
  if (family === 4) return candidate;
  if (family === 6) return candidate.toLowerCase();
  return null;
}

const blockLists = new Map<string, BlockList>();

function blockListFor(cidrs: string[]): BlockList {
  const key = cidrs.join(",");
  let list = blockLists.get(key);
  if (!list) {
    list = new BlockList();
    for (const cidr of cidrs) {
      const [address = "", bits] = cidr.split("/");
      const type = isIP(address) === 6 ? "ipv6" : "ipv4";
      if (bits === undefined) list.addAddress(address, type);
      else list.addSubnet(address, Number(bits), type);
    }
    blockLists.set(key, list);
  }
  return list;
}

function isInList(list: BlockList, value: string): boolean {
  const address = normalizeIp(value);
  if (!address) return false;
  return list.check(address, isIP(address) === 6 ? "ipv6" : "ipv4");
}
