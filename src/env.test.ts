import { describe, expect, it } from "vitest";
import { parseEnv } from "./env";

describe("configuration", () => {
  it("defaults to PGlite under .data/ and localhost:3000", () => {
    const env = parseEnv({});
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.PGLITE_DIR).toBe(".data/pglite");
    expect(env.APP_URL).toBe("http://localhost:3000");
    expect(env.PORT).toBe(3000);
  });

  it("derives the default APP_URL from PORT", () => {
    expect(parseEnv({ PORT: "4200" }).APP_URL).toBe("http://localhost:4200");
    expect(parseEnv({ PORT: "4200", APP_URL: "https://carestral.example" }).APP_URL).toBe("https://carestral.example");
  });

  it("treats an empty variable as unset", () => {
    expect(parseEnv({ DATABASE_URL: "" }).DATABASE_URL).toBeUndefined();
  });

  it("accepts a PostgreSQL URL", () => {
    expect(parseEnv({ DATABASE_URL: "postgres://postgres@127.0.0.1:5432/app" }).DATABASE_URL).toBe(
      "postgres://postgres@127.0.0.1:5432/app",
    );
  });

  it.each(["mysql://root@localhost/app", "not a url", "127.0.0.1:5432"])("rejects DATABASE_URL=%s naming the variable", (value) => {
    expect(() => parseEnv({ DATABASE_URL: value })).toThrow(/DATABASE_URL/);
  });

  it("reduces APP_URL to its origin and rejects other schemes", () => {
    expect(parseEnv({ APP_URL: "https://carestral.example/some/path" }).APP_URL).toBe("https://carestral.example");
    expect(() => parseEnv({ APP_URL: "ftp://carestral.example" })).toThrow(/APP_URL/);
  });

  it("sizes the PostgreSQL pool from DATABASE_POOL_MAX, refusing nonsense", () => {
    expect(parseEnv({}).DATABASE_POOL_MAX).toBe(10);
    expect(parseEnv({ DATABASE_POOL_MAX: "4" }).DATABASE_POOL_MAX).toBe(4);
    expect(() => parseEnv({ DATABASE_POOL_MAX: "0" })).toThrow(/DATABASE_POOL_MAX/);
    expect(() => parseEnv({ DATABASE_POOL_MAX: "many" })).toThrow(/DATABASE_POOL_MAX/);
  });

  it("rejects a PORT out of range", () => {
    expect(() => parseEnv({ PORT: "70000" })).toThrow(/PORT/);
  });

  it("accepts smtp:// and smtps:// for SMTP_URL and nothing else", () => {
    expect(parseEnv({}).SMTP_URL).toBeUndefined();
    expect(parseEnv({ SMTP_URL: "smtps://user:pass@mail.example:465" }).SMTP_URL).toBe("smtps://user:pass@mail.example:465");
    expect(() => parseEnv({ SMTP_URL: "http://mail.example" })).toThrow(/SMTP_URL/);
  });

  it("takes TOTP_ENCRYPTION_KEY as 32 bytes in base64, and names the setting, never the value, when it is not", () => {
    const key = Buffer.alloc(32, 7).toString("base64");
    expect(parseEnv({ TOTP_ENCRYPTION_KEY: key }).TOTP_ENCRYPTION_KEY).toBe(key);
    expect(parseEnv({}).TOTP_ENCRYPTION_KEY).toBeUndefined();
    for (const value of [Buffer.alloc(16, 7).toString("base64"), "not base64 at all, but long enough to be 44 c", Buffer.alloc(32, 7).toString("hex")]) {
      let message = "";
      try {
        parseEnv({ TOTP_ENCRYPTION_KEY: value });
      } catch (error) {
        message = String(error);
      }
      expect(message).toMatch(/TOTP_ENCRYPTION_KEY: must be 32 random bytes in base64/);
      expect(message).not.toContain(value);
    }
  });

  it("reads TRUSTED_PROXIES as a hop count or CIDRs, and none by default", () => {
    expect(parseEnv({}).TRUSTED_PROXIES).toEqual({ kind: "none" });
    expect(parseEnv({ TRUSTED_PROXIES: "1" }).TRUSTED_PROXIES).toEqual({ kind: "hops", hops: 1 });
    expect(parseEnv({ TRUSTED_PROXIES: "10.0.0.0/8, ::1" }).TRUSTED_PROXIES).toEqual({ kind: "cidrs", cidrs: ["10.0.0.0/8", "::1"] });
    for (const value of ["10.0.0.0/33", "proxy.internal", "99"]) {
      expect(() => parseEnv({ TRUSTED_PROXIES: value })).toThrow(/TRUSTED_PROXIES/);
    }
  });

  it("sizes the database pools", () => {
    expect(parseEnv({})).toMatchObject({ DATABASE_POOL_MAX: 10, DATABASE_AUTH_POOL_MAX: 3, DATABASE_STATEMENT_TIMEOUT_MS: 5000 });
    expect(() => parseEnv({ DATABASE_AUTH_POOL_MAX: "0" })).toThrow(/DATABASE_AUTH_POOL_MAX/);
  });
  it("reads INTROSPECTION_CREDENTIALS as id:secret pairs, never echoing a secret in its refusal", () => {
    expect(parseEnv({}).INTROSPECTION_CREDENTIALS).toEqual([]);
    expect(parseEnv({ INTROSPECTION_CREDENTIALS: "fastmcp:0123456789abcdef:x, sdk:fedcba9876543210" }).INTROSPECTION_CREDENTIALS).toEqual([
      { id: "fastmcp", secret: "0123456789abcdef:x" },
      { id: "sdk", secret: "fedcba9876543210" },
    ]);
    for (const value of ["no-colon-here", ":0123456789abcdef", "short:secret", "a:0123456789abcdef,a:0123456789abcdef"]) {
      expect(() => parseEnv({ INTROSPECTION_CREDENTIALS: value })).toThrow(/INTROSPECTION_CREDENTIALS/);
    }
    expect(() => parseEnv({ INTROSPECTION_CREDENTIALS: "short:hush-hush-13" })).toThrow(/^(?![\s\S]*hush-hush)/);
  });
  it("reads SECRET_SCANNING_KEYS as an https key list URL or PEM public keys", () => {
    expect(parseEnv({}).SECRET_SCANNING_KEYS).toEqual({ kind: "none" });
    const url = "https://api.github.com/meta/public_keys/secret_scanning";
    expect(parseEnv({ SECRET_SCANNING_KEYS: url }).SECRET_SCANNING_KEYS).toEqual({ kind: "url", url });
    const pem = "-----BEGIN PUBLIC KEY-----\\nMFkw\\n-----END PUBLIC KEY-----";
    expect(parseEnv({ SECRET_SCANNING_KEYS: `${pem}\n${pem}` }).SECRET_SCANNING_KEYS).toEqual({
      kind: "pem",
      pems: ["-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----", "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----"],
    });
    for (const value of ["http://keys.example/list", "just text"]) {
      expect(() => parseEnv({ SECRET_SCANNING_KEYS: value })).toThrow(/SECRET_SCANNING_KEYS/);
    }
  });
  it("takes the Option A JWT settings together, with a sunset date", () => {
    const secret = "x".repeat(32);
    expect(parseEnv({}).MCP_JWT_SECRET).toBeUndefined();
    const set = parseEnv({ MCP_JWT_SECRET: secret, MCP_JWT_ISSUER: "https://old.example", MCP_JWT_AUDIENCE: "mcp", MCP_JWT_SUNSET: "2027-03-31" });
    expect(set.MCP_JWT_SUNSET?.toISOString()).toBe("2027-03-31T00:00:00.000Z");
    expect(() => parseEnv({ MCP_JWT_SECRET: secret })).toThrow(/MCP_JWT_ISSUER[\s\S]*MCP_JWT_AUDIENCE/);
    expect(() => parseEnv({ MCP_JWT_SECRET: "short", MCP_JWT_ISSUER: "i", MCP_JWT_AUDIENCE: "a" })).toThrow(/MCP_JWT_SECRET/);
    expect(() => parseEnv({ MCP_JWT_SUNSET: "next spring" })).toThrow(/MCP_JWT_SUNSET/);
  });
});
