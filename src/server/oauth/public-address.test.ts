import { describe, expect, it } from "vitest";
import { isPublicUnicastAddress } from "./public-address";

describe("isPublicUnicastAddress", () => {
  it.each([
    "93.184.215.14",
    "8.8.8.8",
    "160.79.104.10",
    "100.128.0.1", // just past CGNAT
    "172.32.0.1", // just past 172.16/12
    "2606:4700::6810:84e5",
    "2a00:1450:4001:81b::200e",
    "::ffff:8.8.8.8", // mapped public IPv4
    "64:ff9b::808:808", // NAT64 of 8.8.8.8
    "2002:808:808::1", // 6to4 of 8.8.8.8
  ])("lets %s through", (address) => {
    expect(isPublicUnicastAddress(address)).toBe(true);
  });

  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback /8"],
    ["10.0.0.1", "RFC 1918"],
    ["172.16.5.4", "RFC 1918"],
    ["192.168.1.1", "RFC 1918"],
    ["169.254.169.254", "cloud metadata, link-local"],
    ["100.64.0.1", "CGNAT"],
    ["100.127.255.255", "CGNAT upper edge"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "this network 0/8"],
    ["255.255.255.255", "broadcast"],
    ["224.0.0.1", "multicast"],
    ["240.0.0.1", "reserved"],
    ["192.0.2.10", "TEST-NET-1"],
    ["198.51.100.7", "TEST-NET-2"],
    ["203.0.113.9", "TEST-NET-3"],
    ["198.18.0.1", "benchmarking"],
    ["192.0.0.8", "IETF protocol assignments"],
    ["::1", "IPv6 loopback"],
    ["::", "IPv6 unspecified"],
    ["fe80::1", "IPv6 link-local"],
    ["fd00::1", "ULA"],
    ["fc00::1", "ULA"],
    ["fec0::1", "deprecated site-local"],
    ["ff02::1", "IPv6 multicast"],
    ["2001:db8::1", "documentation"],
    ["3fff::1", "documentation (RFC 9637)"],
    ["100::1", "discard"],
    ["::ffff:127.0.0.1", "IPv4-mapped loopback"],
    ["::ffff:7f00:1", "IPv4-mapped loopback, hex form"],
    ["::ffff:169.254.169.254", "IPv4-mapped metadata"],
    ["::ffff:10.0.0.1", "IPv4-mapped private"],
    ["::ffff:0:10.0.0.1", "SIIT private"],
    ["::127.0.0.1", "IPv4-compatible (deprecated)"],
    ["::8.8.8.8", "IPv4-compatible (deprecated), even of a public address"],
    ["2002:7f00:1::1", "6to4 of loopback"],
    ["2002:a00:1::1", "6to4 of 10.0.0.1"],
    ["2001:0:a00:1::1", "Teredo with a private server"],
    ["2001:0:808:808:0:0:f5ff:fffe", "Teredo with client 10.0.0.1 (XOR-ed)"],
    ["64:ff9b::7f00:1", "NAT64 of loopback"],
    ["64:ff9b::a9fe:a9fe", "NAT64 of metadata"],
    ["64:ff9b:1::808:808", "local-use NAT64"],
    ["fe80::1%eth0", "zone id"],
    ["[::1]", "bracketed loopback"],
    ["0x7f.1", "non-canonical IPv4"],
    ["2130706433", "integer IPv4"],
    ["localhost", "not an address"],
    ["", "empty"],
  ])("refuses %s (%s)", (address) => {
    expect(isPublicUnicastAddress(address)).toBe(false);
  });
});
