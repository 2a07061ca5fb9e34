import { generateKeyPairSync, sign } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postMcp } from "~/test/mcp-client";
import { hashToken } from "~/server/tokens/token";
import { startTestServer } from "~/test/fixtures";
import { startMailServer, type TestMailServer } from "~/test/mail-server";
import { signUpOverHttp, type SignedUpClient } from "~/test/trpc-http";

// Leaked-token reports through `next start`, signed as GitHub's secret scanning partner program signs them, with
// a key pair made here (its public half in SECRET_SCANNING_KEYS). On PostgreSQL when TEST_DATABASE_URL is set.

const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const stranger = generateKeyPairSync("ec", { namedCurve: "prime256v1" });

function report(baseUrl: string, body: string, signature: string | null): Promise<Response> {
  return fetch(`${baseUrl}/api/token-leaks`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      ...(signature === null ? {} : { "Github-Public-Key-Identifier": "90a421169f0a406205f1563a953312f0be898d3c7b6c06b681aa86a874555f4a", "Github-Public-Key-Signature": signature }),
    },
    body,
  });
}

const signed = (body: string, key = privateKey) => sign("sha256", Buffer.from(body), key).toString("base64");

describe("leaked-token reports over HTTP", () => {
  let mail: TestMailServer;
  let person: SignedUpClient;

  beforeAll(async () => {
    mail = await startMailServer();
  });
  const server = startTestServer({ env: () => ({ AUTH_RATE_LIMIT_PER_MINUTE: "1000", SMTP_URL: mail.url, SECRET_SCANNING_KEYS: publicKey.export({ type: "spki", format: "pem" }).toString() }) });
  beforeAll(async () => {
    person = await signUpOverHttp(server.url, { firstname: "Grace" }, mail);
  });
  afterAll(async () => {
    await mail?.close();
  });

  const works = async (token: string) => (await postMcp(server.url, { headers: { Authorization: `Bearer ${token}` } })).status === 200;

  it("revokes nothing for an unsigned, tampered or stranger-signed report (401)", async () => {
    const { token } = await person.client.tokens.generate.mutate({ name: "Kept", scopes: ["read:data"], expiresInDays: 7 });
    const body = JSON.stringify([{ token, type: "carestral_personal_token", url: "https://github.com/o/r/blob/1/a", source: "content" }]);
    const attempts = [
      await report(server.url, body, null),
      await report(server.url, body.replace("content", "commit"), signed(body)),
      await report(server.url, body, signed(body, stranger.privateKey)),
      await report(server.url, body, "not-a-signature"),
    ];
    for (const answer of attempts) {
      expect(answer.status).toBe(401);
      expect(await answer.json()).toMatchObject({ error: expect.stringMatching(/sign/) });
    }
    expect(await works(token)).toBe(true);
  });

  it("revokes a reported token at once, labels each token, mails the owner, and the token's page says so", async () => {
    const created = await person.client.tokens.generate.mutate({ name: "Pasted in a gist", scopes: ["read:data"], expiresInDays: 30 });
    expect(await works(created.token)).toBe(true);
    const url = "https://gist.github.com/octocat/6cad326836d38bd3a7ae";
    const unknown = "mcp_notoursnotoursnotoursnotoursnotoursnotoursnotou";
    const body = JSON.stringify([
      { token: created.token, type: "carestral_personal_token", url, source: "gist" },
      { token: unknown, type: "carestral_personal_token", url, source: "gist" },
    ]);
    const answer = await report(server.url, body, signed(body));
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual([
      { token_hash: hashToken(created.token), token_type: "carestral_personal_token", label: "true_positive" },
      { token_hash: hashToken(unknown), token_type: "carestral_personal_token", label: "false_positive" },
    ]);
    expect(await works(created.token)).toBe(false);

    // Sign-up mailed the person first (the address check); the report's mail is the one about the token.
    let message = mail.messages().find((sent) => sent.to.includes(person.email.toLowerCase()) && /found in public/.test(sent.subject));
    for (let attempt = 0; attempt < 150 && !message; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      message = mail.messages().find((sent) => sent.to.includes(person.email.toLowerCase()) && /found in public/.test(sent.subject));
    }
    if (!message) throw new Error("no mail about the token");
    expect(message.subject).toMatch(/found in public and revoked/);
    expect(message.text).toContain(url);
    expect(message.text).toContain(`${server.url}/dashboard/tokens/${created.id}`);
    expect(message.text).not.toContain(created.token);

    const page = await fetch(`${server.url}/dashboard/tokens/${created.id}`, { headers: { Cookie: person.jar.header() ?? "" } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Found in public, revoked.");
    expect(html).toContain(url);
  });

  it("refuses a signed body that is not a report with 400", async () => {
    for (const body of ["{}", "[]", "not json", JSON.stringify([{ type: "x" }])]) {
      const answer = await report(server.url, body, signed(body));
      expect(answer.status).toBe(400);
    }
  });
});
