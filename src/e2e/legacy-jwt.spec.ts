import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { expect, test } from "./test";
import { SignJWT } from "jose";
import { signUp, newTokenValue } from "./helpers";
import { E2E_LEGACY_JWT } from "./legacy-jwt-settings";
import { checkPage } from "./page-check";

/** Calls whoami as an assistant configured with `bearer` would, and returns the text it answered. */
async function whoami(baseURL: string, bearer: string): Promise<string> {
  const assistant = new Client({ name: "e2e-legacy", version: "1.0.0" });
  await assistant.connect(new StreamableHTTPClientTransport(new URL("/api/mcp", baseURL), { requestInit: { headers: { Authorization: `Bearer ${bearer}` } } }));
  try {
    const result = await assistant.callTool({ name: "whoami", arguments: {} });
    return JSON.stringify(result.content);
  } finally {
    await assistant.close();
  }
}

test("a person whose old JWT is still used sees a notice, and one click gives a token that replaces it", async ({ page, baseURL }, testInfo) => {
  if (!baseURL) throw new Error("no baseURL");
  const user = await signUp(page);
  await expect(page.getByRole("heading", { name: "An assistant still uses an old JWT" })).toHaveCount(0);

  // A JWT as the older system minted it, naming the person by email.
  const jwt = await new SignJWT({ email: user.email, scopes: ["read:data"] })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(E2E_LEGACY_JWT.MCP_JWT_ISSUER)
    .setAudience(E2E_LEGACY_JWT.MCP_JWT_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(new TextEncoder().encode(E2E_LEGACY_JWT.MCP_JWT_SECRET));
  expect(await whoami(baseURL, jwt)).toContain(user.email);

  await page.reload();
  const notice = page.getByRole("region", { name: "An assistant still uses an old JWT" });
  await expect(notice).toBeVisible();
  await checkPage(page, testInfo, "tokens-legacy-jwt-notice");

  await notice.getByRole("button", { name: "Create a replacement token" }).click();
  const token = await newTokenValue(page);
  expect(token).toMatch(/^mcp_[0-9A-Za-z]{49}$/);
  await checkPage(page, testInfo, "tokens-legacy-jwt-replacement");
  expect(await whoami(baseURL, token)).toContain(user.email);
  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByRole("link", { name: /^Replaces legacy JWT/ })).toBeVisible();
});
