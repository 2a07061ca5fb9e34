import { expect, test, type BrowserContext, type Page } from "./test";
import { generateToken, signUp } from "./helpers";
import { checkPage } from "./page-check";

// With the server down, a page load shows Carestral's offline page (public/sw.js) instead of the browser's
// error page; with the server up, pages come from the network and nothing but that page is ever cached.

const OFFLINE_HEADING = "Carestral can’t be reached";

/** Waits until the service worker controls the page (it claims open pages): from then on it sees every page load. */
async function waitForServiceWorker(page: Page): Promise<void> {
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 20_000 });
}

/**
 * The server stops answering: every request of the browser context, the service worker's own fetches
 * included (Playwright routes those in Chromium), is refused as a stopped server's port would refuse it.
 */
async function stopServer(context: BrowserContext): Promise<void> {
  await context.route("**/*", (route) => route.abort("connectionrefused"));
}

async function restartServer(context: BrowserContext): Promise<void> {
  await context.unrouteAll({ behavior: "wait" });
}

/** Every URL in Cache Storage, by cache name, as the page's own origin sees it. */
async function cachedUrls(page: Page): Promise<Record<string, string[]>> {
  return page.evaluate(async () => {
    const entries: Record<string, string[]> = {};
    for (const name of await caches.keys()) {
      const requests = await (await caches.open(name)).keys();
      entries[name] = requests.map((request) => new URL(request.url).pathname);
    }
    return entries;
  });
}

test("with the server down, a page load shows the offline page, with Try again and the dashboard", async ({ page, context }, testInfo) => {
  const cspViolations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });

  await signUp(page);
  await waitForServiceWorker(page);
  // Browsers check for a new worker on page loads; each check must reach the server.
  expect((await page.request.get("/sw.js")).headers()["cache-control"]).toBe("no-cache");
  // A token's plaintext and the pages with a person's data pass through; none of it may be kept.
  await generateToken(page, "Offline check");
  await page.goto("/dashboard/bookings");
  await expect(page.getByRole("heading", { level: 1, name: "Bookings" })).toBeVisible();
  expect(await cachedUrls(page)).toEqual({ "carestral-offline-v1": ["/offline.html"] });

  // A typed address or a reload.
  await stopServer(context);
  const offline = await page.goto("/dashboard/tokens");
  expect(offline?.status()).toBe(503);
  await expect(page.getByRole("heading", { level: 1, name: OFFLINE_HEADING })).toBeVisible();
  await expect(page.getByRole("main")).toContainText("did not answer");
  await expect(page.getByRole("main")).toContainText("npm start");
  // Try again is the address that failed; the page keeps that address.
  expect(new URL(page.url()).pathname).toBe("/dashboard/tokens");
  expect(await page.getByRole("link", { name: "Try again" }).evaluate((link: HTMLAnchorElement) => link.href)).toBe(page.url());
  await expect(page.getByRole("link", { name: "Go to the dashboard" })).toHaveAttribute("href", "/dashboard/tokens");
  await checkPage(page, testInfo, "offline");
  await page.emulateMedia({ colorScheme: "dark" });
  await checkPage(page, testInfo, "offline-dark");
  await page.emulateMedia({ colorScheme: "light" });

  // The server is back: Try again loads the page from the network.
  await restartServer(context);
  await page.getByRole("link", { name: "Try again" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "API tokens" })).toBeVisible();

  // A click on a dashboard link while the server is down ends on the offline page too.
  await stopServer(context);
  await page.getByRole("link", { name: "Activity", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: OFFLINE_HEADING })).toBeVisible();
  expect(new URL(page.url()).pathname).toBe("/dashboard/activity");

  await restartServer(context);
  const online = await page.reload();
  expect(online?.status()).toBe(200);
  await expect(page.getByRole("heading", { level: 1, name: "Activity" })).toBeVisible();
  expect(await cachedUrls(page)).toEqual({ "carestral-offline-v1": ["/offline.html"] });
  expect(cspViolations).toEqual([]);
});
