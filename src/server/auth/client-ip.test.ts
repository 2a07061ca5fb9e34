import { describe, expect, it } from "vitest";
import type { TrustedProxies } from "~/env";
import { clientIpFromHeaders, normalizeIp, SOCKET_ADDRESS_HEADER } from "./client-ip";

const none = { kind: "none" } as const;

function headers(socket: string | null, forwarded?: string): Headers {
  const result = new Headers();
  if (socket !== null) result.set(SOCKET_ADDRESS_HEADER, socket);
  if (forwarded !== undefined) result.set("x-forwarded-for", forwarded);
  return result;
}

describe("clientIpFromHeaders", () => {
  it("ignores X-Forwarded-For when no proxy is trusted: the socket address is the client", () => {
    expect(clientIpFromHeaders(headers("192.0.2.10", "203.0.113.9, 198.51.100.7"), none)).toBe("192.0.2.10");
    expect(clientIpFromHeaders(headers("::ffff:192.0.2.10"), none)).toBe("192.0.2.10");
    expect(clientIpFromHeaders(headers(null, "198.51.100.7"), none)).toBe("unknown");
  });

  it("ignores the socket address header unless server.mjs writes it (next dev, a bare next start)", () => {
    // A client sending the header itself, with nothing in front to overwrite it, picks no key of its own.
    expect(clientIpFromHeaders(headers("192.0.2.10"), none, false)).toBe("unknown");
    expect(clientIpFromHeaders(headers("192.0.2.10", "203.0.113.9"), none, false)).toBe("unknown");
    // Behind a trusted proxy, the chain is X-Forwarded-For alone (Next adds the socket there when it is absent).
    expect(clientIpFromHeaders(headers("192.0.2.10", "198.51.100.7, 10.0.0.2"), { kind: "hops", hops: 1 }, false)).toBe("198.51.100.7");
  });

  it("believes as many hops as configured, counted from the socket", () => {
    const hops = (count: number) => ({ kind: "hops", hops: count }) as const;
    // client → proxy (appends client) → app: the socket is the proxy.
    expect(clientIpFromHeaders(headers("10.0.0.2", "198.51.100.7"), hops(1))).toBe("198.51.100.7");
    // Whatever the client prepended stays out of reach.
    expect(clientIpFromHeaders(headers("10.0.0.2", "6.6.6.6, 198.51.100.7"), hops(1))).toBe("198.51.100.7");
    expect(clientIpFromHeaders(headers("10.0.0.2", "198.51.100.7, 10.0.0.1"), hops(2))).toBe("198.51.100.7");
  });

  it("skips trusted networks from the right", () => {
    const cidrs: TrustedProxies = { kind: "cidrs", cidrs: ["10.0.0.0/8", "127.0.0.1"] };
    expect(clientIpFromHeaders(headers("127.0.0.1", "6.6.6.6, 198.51.100.7, 10.1.2.3"), cidrs)).toBe("198.51.100.7");
    // Not from a trusted proxy: the header is not believed.
    expect(clientIpFromHeaders(headers("192.0.2.50", "198.51.100.7"), cidrs)).toBe("192.0.2.50");
  });

  it("never uses something that is not an IP address as the key", () => {
    expect(clientIpFromHeaders(headers("10.0.0.2", "my-own-key"), { kind: "hops", hops: 1 })).toBe("unknown");
    expect(normalizeIp("[2001:DB8::1]")).toBe("2001:db8::1");
    expect(normalizeIp("signin:email:x")).toBeNull();
  });
});
