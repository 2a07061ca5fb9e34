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
});
