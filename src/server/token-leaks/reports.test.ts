import { createServer, type Server } from "node:http";
import { generateKeyPairSync, sign } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiTokens, users } from "~/server/db/schema";
import { generateToken, getToken, revokeToken, verifyBearerToken } from "~/server/tokens/service";
import { generateTokenString, hashToken } from "~/server/tokens/token";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { freePort } from "~/test/server";
import { candidateKeys, pemKeys, signatureMatches } from "./keys";
import { FOUND_PUBLIC, parseLeakReport, revokeReportedTokens } from "./reports";

function p256Pair() {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return { publicPem: publicKey.export({ type: "spki", format: "pem" }).toString(), privateKey };
}

describe("leak report signatures", () => {
  const signer = p256Pair();
  const stranger = p256Pair();
  const body = Buffer.from(JSON.stringify([{ token: "mcp_x", type: "carestral_personal_token", url: "https://github.com/o/r/blob/1/a.txt", source: "content" }]));
  const signature = sign("sha256", body, signer.privateKey).toString("base64");

  it("accepts ECDSA P-256 / SHA-256 over the raw body from a configured key, and nothing else", () => {
    const keys = pemKeys([stranger.publicPem, signer.publicPem]);
    expect(signatureMatches(body, signature, keys)).toBe(true);
    expect(signatureMatches(Buffer.from(body.toString().replace("content", "commit")), signature, keys)).toBe(false);
    expect(signatureMatches(body, signature, pemKeys([stranger.publicPem]))).toBe(false);
    expect(signatureMatches(body, sign("sha256", body, stranger.privateKey).toString("base64"), pemKeys([signer.publicPem]))).toBe(false);
    for (const garbage of ["", "not base64!", "AAAA", "MEQCIA=="]) expect(signatureMatches(body, garbage, keys)).toBe(false);
  });

  it("refuses a key that is not P-256", () => {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "secp384r1" });
    expect(() => pemKeys([publicKey.export({ type: "spki", format: "pem" }).toString()])).toThrow(/P-256/);
  });

  describe("from a key list URL", () => {
    let server: Server;
    let url = "";
    let served = 0;
    let list: { key_identifier: string; key: string; is_current: boolean }[] = [];

    beforeAll(async () => {
      const port = await freePort();
      server = createServer((_request, response) => {
        served += 1;
        response.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ public_keys: list }));
      });
      await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${port}/meta/public_keys/secret_scanning`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it("picks the key by identifier, keeps the list, and reads it again for an identifier it does not know", async () => {
      list = [{ key_identifier: "first", key: signer.publicPem, is_current: true }];
      const start = Date.now();
      const first = await candidateKeys("first", { kind: "url", url }, start);
      expect(signatureMatches(body, signature, first)).toBe(true);
      await candidateKeys("first", { kind: "url", url }, start + 1000);
      expect(served).toBe(1);
      // GitHub rotated its keys: an unknown identifier reads the list again (not more than once a minute).
      list = [{ key_identifier: "second", key: stranger.publicPem, is_current: true }];
      expect(await candidateKeys("second", { kind: "url", url }, start + 2000)).toEqual([]);
      expect(served).toBe(1);
      expect(await candidateKeys("second", { kind: "url", url }, start + 61_000)).toHaveLength(1);
      expect(served).toBe(2);
    });
  });
});

describe("leak report bodies", () => {
  it("reads the program's array and refuses anything else with a readable reason", () => {
    expect(parseLeakReport([{ token: "t", type: "x", url: "https://github.com/a", source: "content" }]).ok).toBe(true);
    expect(parseLeakReport([{ token: "t", type: "x" }]).ok).toBe(true);
    for (const bad of [[], {}, "x", [{ type: "x" }], [{ token: 1, type: "x" }], null]) {
      const parsed = parseLeakReport(bad);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.message).toMatch(/JSON array/);
    }
  });
});

describe.each(engines)("revoking reported tokens on %s", (engine) => {
  const database = useTestDatabase(engine);
  let userId: string;

  beforeAll(async () => {
    const [user] = await database.db
      .insert(users)
      .values({ email: "grace@example.com", firstname: "Grace", surname: "Hopper", passwordHash: "not-a-real-hash" })
      .returning({ id: users.id });
    if (!user) throw new Error("no user");
    userId = user.id;
  });

  it("revokes an active token as found public, with the URL and source; labels ours and not ours", async () => {
    const { db } = database;
    const leaked = await generateToken(db, userId, { name: "Leaked", scopes: ["read:data"], expiresInDays: 30 });
    const earlier = await generateToken(db, userId, { name: "Revoked earlier", scopes: ["read:data"], expiresInDays: 30 });
    await revokeToken(db, userId, earlier.id);
    const [before] = await db.select({ revokedAt: apiTokens.revokedAt }).from(apiTokens).where(eq(apiTokens.id, earlier.id));
    const stranger = generateTokenString();
    const url = "https://github.com/octocat/Hello-World/blob/1234/config.json";

    const { outcomes, revoked } = await revokeReportedTokens(db, [
      { token: leaked.token, type: "carestral_personal_token", url, source: "content" },
      { token: earlier.token, type: "carestral_personal_token", url, source: "commit" },
      { token: stranger, type: "carestral_personal_token", url: "javascript:alert(1)", source: "content" },
    ]);
    expect(outcomes).toEqual([
      { token_hash: hashToken(leaked.token), token_type: "carestral_personal_token", label: "true_positive" },
      { token_hash: hashToken(earlier.token), token_type: "carestral_personal_token", label: "true_positive" },
      { token_hash: hashToken(stranger), token_type: "carestral_personal_token", label: "false_positive" },
    ]);
    expect(revoked.map((token) => token.id)).toEqual([leaked.id]);

    const verification = await verifyBearerToken(db, `Bearer ${leaked.token}`);
    expect(verification).toMatchObject({ ok: false, reason: "revoked" });
    const [row] = await db.select().from(apiTokens).where(eq(apiTokens.id, leaked.id));
    expect(row).toMatchObject({ revokedReason: FOUND_PUBLIC, leakUrl: url, leakSource: "content" });
    expect((await getToken(db, userId, leaked.id))?.foundPublic).toMatchObject({ prefix: leaked.prefix, url, source: "content" });

    // Already revoked: left as it was, not marked found public.
    const [after] = await db.select().from(apiTokens).where(eq(apiTokens.id, earlier.id));
    expect(after).toMatchObject({ revokedAt: before?.revokedAt, revokedReason: null, leakUrl: null });
    expect((await getToken(db, userId, earlier.id))?.foundPublic).toBeNull();
  });

  it("keeps no link that is not https", async () => {
    const { db } = database;
    const leaked = await generateToken(db, userId, { name: "Odd link", scopes: ["read:data"], expiresInDays: 7 });
    await revokeReportedTokens(db, [{ token: leaked.token, type: "carestral_personal_token", url: "javascript:alert(1)" }]);
    expect((await getToken(db, userId, leaked.id))?.foundPublic).toMatchObject({ url: null, source: null });
  });
});
