import { describe, expect, it } from "vitest";
import {
  BASE62_ALPHABET,
  crc32,
  encodeBase62,
  generateTokenString,
  hashToken,
  tokenChecksum,
  tokenPrefix,
  wellFormedTokenKind,
} from "./token";

// Vectors computed independently with Python's zlib.crc32 and hashlib.sha256, and a separate base62 encoder.
const KNOWN_TOKEN = "mcp_AbCd1234efGH5678ijKL9012mnOP3456qrST7890uvW3GOgf5";
const KNOWN_TOKEN_SHA256 = "c7cc068b257ae9a1b644ed040326629c345f1fbbce025716f11e73e8e44ece8d";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("crc32", () => {
  it.each([
    ["123456789", 0xcbf43926], // the standard CRC-32/ISO-HDLC check value
    ["", 0],
    ["a", 0xe8b7be43],
    ["The quick brown fox jumps over the lazy dog", 0x414fa339],
    ["mcp_AbCd1234efGH5678ijKL9012mnOP3456qrST7890uvW", 0xb242847b],
  ])("crc32(%j) = %i", (text, expected) => {
    expect(crc32(bytes(text))).toBe(expected);
  });
});

describe("base62 checksum encoding", () => {
  it("uses the alphabet 0-9, A-Z, a-z in that order", () => {
    expect(BASE62_ALPHABET).toBe("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
    expect([0, 9, 10, 35, 36, 61, 62].map(encodeBase62)).toEqual(["0", "9", "A", "Z", "a", "z", "10"]);
  });

  it.each([
    ["123456789", "3jZRME"],
    ["", "000000"],
    ["a", "4GEHKN"],
    ["mcp_", "2AUChU"],
    ["mcp_0000000000000000000000000000000000000000000", "39bp28"],
    ["mcp_AbCd1234efGH5678ijKL9012mnOP3456qrST7890uvW", "3GOgf5"],
  ])("checksum of %j is %s (most significant digit first, padded to 6)", (text, expected) => {
    expect(tokenChecksum(text)).toBe(expected);
  });

  it("fits the largest CRC-32 in 6 characters", () => {
    expect(encodeBase62(0xffffffff)).toBe("4gfFC3");
  });
});

describe("generateTokenString", () => {
  it("is mcp_ + 43 random base62 characters + a 6-character checksum", () => {
    const token = generateTokenString();
    expect(token).toMatch(/^mcp_[0-9A-Za-z]{49}$/);
    expect(token).toHaveLength(53);
    expect(token.slice(-6)).toBe(tokenChecksum(token.slice(0, -6)));
    expect(wellFormedTokenKind(token)).not.toBeNull();
  });

  it("never repeats and draws from the whole alphabet", () => {
    const tokens = Array.from({ length: 2000 }, generateTokenString);
    expect(new Set(tokens).size).toBe(tokens.length);
    const seen = new Set(tokens.flatMap((token) => [...token.slice(4, 47)]));
    expect([...seen].sort().join("")).toBe([...BASE62_ALPHABET].sort().join(""));
  });

  it("spreads characters evenly (no modulo bias towards the first alphabet characters)", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      for (const char of generateTokenString().slice(4, 47)) counts.set(char, (counts.get(char) ?? 0) + 1);
    }
    // 129,000 draws over 62 symbols: about 2,081 each. `% 62` on raw bytes would give the first 8 symbols
    // about 2,500 and the rest about 2,000; the bounds below catch that while leaving room for chance.
    const expected = (3000 * 43) / 62;
    const firstEight = [...BASE62_ALPHABET.slice(0, 8)].map((char) => counts.get(char) ?? 0);
    const lastEight = [...BASE62_ALPHABET.slice(-8)].map((char) => counts.get(char) ?? 0);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean(firstEight) / mean(lastEight)).toBeLessThan(1.1);
    for (const count of counts.values()) expect(Math.abs(count - expected)).toBeLessThan(expected * 0.15);
  });
});

describe("wellFormedTokenKind", () => {
  it("accepts the known-answer token", () => {
    expect(wellFormedTokenKind(KNOWN_TOKEN)).not.toBeNull();
  });

  it("rejects a token with one character of the random part changed", () => {
    const tampered = KNOWN_TOKEN.slice(0, 10) + (KNOWN_TOKEN[10] === "x" ? "y" : "x") + KNOWN_TOKEN.slice(11);
    expect(tampered).toHaveLength(KNOWN_TOKEN.length);
    expect(wellFormedTokenKind(tampered)).toBeNull();
  });

  it("rejects a token with a changed checksum", () => {
    expect(wellFormedTokenKind(KNOWN_TOKEN.slice(0, -1) + "6")).toBeNull();
  });

  it("rejects every single-character change of a generated token", () => {
    const token = generateTokenString();
    for (let i = 4; i < token.length; i++) {
      const replacement = token[i] === "a" ? "b" : "a";
      expect(wellFormedTokenKind(token.slice(0, i) + replacement + token.slice(i + 1))).toBeNull();
    }
  });

  it.each([
    ["empty", ""],
    ["wrong prefix", "pat_" + KNOWN_TOKEN.slice(4)],
    ["upper-case prefix", "MCP_" + KNOWN_TOKEN.slice(4)],
    ["too short", KNOWN_TOKEN.slice(0, -1)],
    ["too long", KNOWN_TOKEN + "0"],
    ["surrounding space", ` ${KNOWN_TOKEN}`],
    ["trailing newline", `${KNOWN_TOKEN}\n`],
    ["non-base62 character", KNOWN_TOKEN.slice(0, 20) + "-" + KNOWN_TOKEN.slice(21)],
    ["non-ASCII letter", KNOWN_TOKEN.slice(0, 20) + "é" + KNOWN_TOKEN.slice(21)],
  ])("rejects %s", (_label, token) => {
    expect(wellFormedTokenKind(token)).toBeNull();
  });
});

describe("hashToken", () => {
  it("is the lower-case hex SHA-256 of the whole token", () => {
    expect(hashToken("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hashToken(KNOWN_TOKEN)).toBe(KNOWN_TOKEN_SHA256);
  });
});

describe("tokenPrefix", () => {
  it("is mcp_ and the first 8 random characters, never the rest", () => {
    expect(tokenPrefix(KNOWN_TOKEN)).toBe("mcp_AbCd1234");
  });
});
