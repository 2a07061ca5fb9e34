import { createServer, type Server } from "node:http";
import { expect, test } from "./test";
import { signUp } from "./helpers";

// Issue 10: what a same-site page on another port could do to a signed-in visitor, in a real browser.
// Cookies do not keep ports apart, so http://localhost:<other port> can set cookies that Chromium then
// sends to the app, and its pages count as same-site (SameSite=Lax lets the session cookie into frames).

let evil: Server;
let evilUrl = "";
let evilPage = "";

test.beforeAll(async () => {
  evil = createServer((_request, response) => {
    response.setHeader("content-type", "text/html; charset=utf-8");
    response.end(evilPage);
  });
  await new Promise<void>((resolve) => evil.listen(0, "localhost", resolve));
  const address = evil.address();
  evilUrl = `http://localhost:${typeof address === "object" && address ? address.port : 0}/`;
});

test.afterAll(async () => {
  await new Promise<void>((resolve) => evil.close(() => resolve()));
});

test("another origin of the same site can neither frame the dashboard nor plant a second session", async ({ browser, page, baseURL }) => {
  // The attacker's own session, to plant in the victim's browser.
  const attackerContext = await browser.newContext();
  const attackerPage = await attackerContext.newPage();
  await signUp(attackerPage);
  const attackerSession = (await attackerContext.cookies()).find((cookie) => cookie.name === "carestral_session")?.value;
  expect(attackerSession).toBeTruthy();

  await signUp(page);
  evilPage =
    `<script>document.cookie = "carestral_session=${attackerSession}; Path=/api/trpc";</script>` +
    `<iframe id="dashboard" src="${baseURL}/dashboard/tokens" width="800" height="600"></iframe>`;
  const evilResponse = await page.goto(evilUrl);
  expect(evilResponse?.status()).toBe(200);
  await expect(page.locator("#dashboard")).toBeAttached();
  const sessions = (await page.context().cookies(`${baseURL}/api/trpc/tokens.generate`)).filter((cookie) => cookie.name === "carestral_session");
  expect(sessions.map((cookie) => cookie.path).sort()).toEqual(["/", "/api/trpc"]);

  // frame-ancestors 'none': Chromium refuses to show the dashboard inside the other page.
  await page.waitForTimeout(1500);
  await expect(page.frameLocator("#dashboard").getByRole("heading", { name: "API tokens" })).toHaveCount(0);

  // Back on the app (a page that makes no tRPC call of its own), the browser now sends two session
  // cookies to /api/trpc: the request is refused, and the planted cookie cleared, not ours.
  await page.goto("/api/health");
  const generate = () =>
    page.evaluate(async () => {
      const response = await fetch("/api/trpc/tokens.generate", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ json: { name: "planted", scopes: ["read:data"], expiresInDays: 30 } }),
      });
      return { status: response.status, text: await response.text() };
    });
  const refused = await generate();
  expect(refused.status).toBe(400);
  expect(refused.text).toMatch(/two session cookies/i);
  const remaining = (await page.context().cookies(`${baseURL}/api/trpc/tokens.generate`)).filter((cookie) => cookie.name === "carestral_session");
  expect(remaining.map((cookie) => cookie.path)).toEqual(["/"]);
  // The next try is the victim's own, in the victim's own account.
  expect((await generate()).status).toBe(200);

  // Nothing landed in the attacker's account.
  await attackerPage.reload();
  await expect(attackerPage.getByText("No tokens yet.")).toBeVisible();
  await attackerContext.close();
});
