import path from "node:path";
import { describe, expect, it } from "vitest";
import { describeDatabase } from "./client";

describe("describeDatabase", () => {
  it("names the PostgreSQL host and database, never the credentials", () => {
    const line = describeDatabase({ engine: "postgres", url: "postgres://carestral:s3cret-pass@db.internal:5433/carestral?sslmode=require" });
    expect(line).toBe("PostgreSQL at db.internal:5433/carestral");
    expect(line).not.toContain("s3cret");
    expect(line).not.toContain("carestral:");
  });

  it("names the PGlite folder as an absolute path", () => {
    expect(describeDatabase({ engine: "pglite", dataDir: ".data/pglite" })).toBe(`PGlite in ${path.resolve(".data/pglite")}`);
    expect(describeDatabase({ engine: "pglite" })).toBe("PGlite in memory");
  });
});
