import { SignJWT } from "jose";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { apiTokens, users } from "~/server/db/schema";
import { verifyBearerToken } from "~/server/tokens/service";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { looksLikeJwt, recentLegacyJwtUse, verifyLegacyJwt, type LegacyJwtSettings } from "./verify";

const SETTINGS: LegacyJwtSettings = {
  secret: "option-a-secret-at-least-thirty-two-chars",
  issuer: "https://old.carestral.example",
  audience: "carestral-mcp",
  sunset: undefined,
};

/** A JWT as the older system minted them (HS256), with claims to override. */
function mint(claims: Record<string, unknown>, options: { secret?: string; exp?: number | null; issuer?: string; audience?: string } = {}) {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setIssuedAt().setIssuer(options.issuer ?? SETTINGS.issuer).setAudience(options.audience ?? SETTINGS.audience);
  if (options.exp !== null) jwt = jwt.setExpirationTime(options.exp ?? Math.floor(Date.now() / 1000) + 3600);
  return jwt.sign(new TextEncoder().encode(options.secret ?? SETTINGS.secret));
}

describe.each(engines)("Option A JWTs on %s", (engine) => {
  const database = useTestDatabase(engine);
  let user: { id: string; email: string };

  beforeAll(async () => {
    const [inserted] = await database.db
      .insert(users)
      .values({ email: "option-a@example.com", firstname: "Ada", surname: "Legacy", passwordHash: "not-a-real-hash" })
      .returning({ id: users.id, email: users.email });
    if (!inserted) throw new Error("no user");
    user = inserted;
  });

  it("accepts a valid one, finds the person by sub, keeps only our scopes, and records the use", async () => {
    const { db } = database;
    const jwt = await mint({ sub: user.id, scopes: ["read:data", "admin:everything"] });
    expect(looksLikeJwt(jwt)).toBe(true);
    const verified = await verifyLegacyJwt(db, jwt, SETTINGS);
    expect(verified).toMatchObject({ ok: true, user: { id: user.id, email: user.email }, scopes: ["read:data"] });
    const [row] = await db.select().from(apiTokens).where(eq(apiTokens.userId, user.id));
    expect(row).toMatchObject({ kind: "legacy_jwt", name: "Legacy JWT", scopes: ["read:data"] });
    expect(verified.ok && verified.rowId).toBe(row?.id);
    expect(await recentLegacyJwtUse(db, user.id)).toMatchObject({ scopes: ["read:data"] });
  });

  it("finds the person by the email claim when sub names nobody, and reads a space-separated scope", async () => {
    const jwt = await mint({ sub: "legacy-user-42", email: "Option-A@Example.com", scope: "read:data write:bookings" });
    expect(await verifyLegacyJwt(database.db, jwt, SETTINGS)).toMatchObject({ ok: true, user: { id: user.id }, scopes: ["read:data", "write:bookings"] });
  });

  it("refuses forged, wrongly addressed, exp-less, expired, past-sunset and unknown-person JWTs", async () => {
    const { db } = database;
    const claims = { sub: user.id, scopes: ["read:data"] };
    const valid = await mint(claims);
    const [header, payload] = valid.split(".");
    const cases: [string, string, "unknown" | "expired"][] = [
      ["forged", await mint(claims, { secret: "another-secret-of-thirty-two-characters!" }), "unknown"],
      ["tampered", `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: "x" })).toString("base64url")}.${valid.split(".")[2]}`, "unknown"],
      ["alg none", `${Buffer.from('{"alg":"none"}').toString("base64url")}.${payload}.`, "unknown"],
      ["other issuer", await mint(claims, { issuer: "https://evil.example" }), "unknown"],
      ["other audience", await mint(claims, { audience: "someone-else" }), "unknown"],
      ["no exp", await mint(claims, { exp: null }), "unknown"],
      ["expired", await mint(claims, { exp: Math.floor(Date.now() / 1000) - 60 }), "expired"],
      ["unknown person", await mint({ sub: "00000000-0000-4000-8000-000000000000", email: "nobody@example.com" }), "unknown"],
    ];
    for (const [name, jwt, reason] of cases) {
      expect(await verifyLegacyJwt(db, jwt, SETTINGS), name).toEqual({ ok: false, reason });
    }
    expect(await verifyLegacyJwt(db, valid, { ...SETTINGS, sunset: new Date(Date.now() - 1000) })).toEqual({ ok: false, reason: "expired" });
    expect(await verifyLegacyJwt(db, valid, { ...SETTINGS, sunset: new Date(Date.now() + 86_400_000) })).toMatchObject({ ok: true });
  });

  it("without MCP_JWT_SECRET, /api/mcp's verification refuses a JWT like any token it does not know", async () => {
    const jwt = await mint({ sub: user.id, scopes: ["read:data"] });
    expect(await verifyBearerToken(database.db, `Bearer ${jwt}`)).toMatchObject({ ok: false });
  });
});
