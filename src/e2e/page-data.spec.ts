import { expect, test, type Browser, type Page } from "./test";
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { testDatabaseUrl } from "~/test/env";
import { createPostgresDatabase, type ScratchDatabase } from "~/test/postgres-database";
import { generateToken, signUp, type E2EUser } from "./helpers";
import { startOwnServer } from "./own-server";
import { checkPage } from "./page-check";

// Issue 25 item 1: every dashboard page reads its data one way, through the tRPC server caller, and hands it to the
// browser's cache. What the page needs itself is read once; a failed read keeps the page and its other sections, and
// the section says what went wrong with a Retry; an id that is not the person's is the not-found page. Failing reads
// are made in the database (its tables renamed away), so this spec runs its own server (the same build) on a fresh
// PostgreSQL database it can reach. No SMTP_URL: sign-up signs in at once.

const port = Number(process.env.E2E_PORT ?? 3100) + 45;
const base = `http://localhost:${port}`;
let server: { stop(): Promise<void> } | undefined;
let database: ScratchDatabase | undefined;

test.use({ baseURL: base, serviceWorkers: "block" });
test.describe.configure({ timeout: 120_000 });

test.beforeAll(async () => {
  if (!testDatabaseUrl) throw new Error("page-data.spec.ts needs TEST_DATABASE_URL (a PostgreSQL server to create its database on)");
  database = await createPostgresDatabase(testDatabaseUrl, `carestral_e2e_pages_${randomBytes(4).toString("hex")}`);
  server = await startOwnServer(port, { DATABASE_URL: database.url });
});

test.afterAll(async () => {
  await server?.stop();
  await database?.drop();
});

async function withSql<T>(work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  if (!database) throw new Error("no database");
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  try {
    return await work(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** A connected app of `user`'s, as a finished OAuth sign-in leaves it (the OAuth flow itself is oauth.spec.ts's). */
async function connectedApp(user: E2EUser, clientName: string): Promise<string> {
  const [grant] = await withSql(
    (sql) => sql<{ id: string }[]>`
      insert into oauth_grants (user_id, client_id, client_name, redirect_uri, scopes, resource, connected_at)
      values ((select id from users where email = ${user.email}), ${`dcr_${randomBytes(6).toString("hex")}`}, ${clientName},
              'http://127.0.0.1:9/callback', ${["read:data"]}, ${`${base}/api/mcp`}, now())
      returning id`,
  );
  if (!grant) throw new Error("no grant inserted");
  return grant.id;
}

// Every table the dashboard's sections read, and none the session check reads.
const DATA_TABLES = ["api_tokens", "oauth_grants", "mcp_activity", "mcp_activity_rollup", "bookings"];

/** Reads of the dashboard's data fail at once (their tables are gone); signing in and the session still work. */
async function failDataReads(): Promise<void> {
  await withSql(async (sql) => {
    for (const table of DATA_TABLES) await sql.unsafe(`alter table "${table}" rename to "${table}_away"`);
  });
}

async function restoreDataReads(): Promise<void> {
  await withSql(async (sql) => {
    for (const table of DATA_TABLES) await sql.unsafe(`alter table "${table}_away" rename to "${table}"`);
  });
}

/** The tRPC procedures the browser calls from now on, by name. */
function browserCalls(page: Page): string[] {
  const calls: string[] = [];
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith("/api/trpc/")) calls.push(...url.pathname.slice("/api/trpc/".length).split(","));
  });
  return calls;
}

/** Signs a new person up in a context of its own and returns them with a token id and a connected app id. */
async function personWithData(browser: Browser, name: string) {
  const context = await browser.newContext({ baseURL: base, serviceWorkers: "block" });
  const page = await context.newPage();
  const user = await signUp(page);
  await generateToken(page, name);
  const href = await page.getByRole("link", { name, exact: true }).getAttribute("href");
  const tokenId = href?.split("/").at(-1) ?? "";
  const appId = await connectedApp(user, `${name} app`);
  await context.close();
  return { user, tokenId, appId };
}

test("the token, app and activity pages arrive with their data, which the browser does not fetch again", async ({ page }, testInfo) => {
  await signUp(page);
  await generateToken(page, "Read once");
  await page.getByRole("link", { name: "Read once", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Read once", level: 1 })).toBeVisible();
  const tokenPath = new URL(page.url()).pathname;

  const calls = browserCalls(page);
  const answer = await page.goto(tokenPath);
  // The first HTML already holds the heading, the settings, the chart and the log.
  const html = (await answer?.text()) ?? "";
  for (const text of ["Read once", "Prefix", "Calls with “Read once”", "No tool calls yet"]) expect(html).toContain(text);
  await expect(page.getByRole("heading", { name: "Read once", level: 1 })).toBeVisible();
  await expect(page.getByRole("region", { name: "Settings" })).toContainText("read:data, write:bookings");
  await expect(page.getByText("No tool calls yet.")).toBeVisible();
  await page.waitForLoadState("networkidle");
  expect(calls.filter((call) => ["tokens.get", "activity.daily", "activity.list"].includes(call))).toEqual([]);
  await checkPage(page, testInfo, "token-page-hydrated");

  await page.goto("/dashboard/activity");
  await expect(page.getByRole("heading", { name: "Activity", level: 1 })).toBeVisible();
  await expect(page.getByText("No tool calls yet.")).toBeVisible();
  await page.waitForLoadState("networkidle");
  expect(calls.filter((call) => call.startsWith("activity."))).toEqual([]);
});

test("another person's token or app, a made-up id and a malformed one are not found; signed out goes to sign-in, with the way back", async ({ page, browser }, testInfo) => {
  const other = await personWithData(browser, "Someone else's");
  const mine = await signUp(page);
  const appId = await connectedApp(mine, "My own app");
  await page.goto(`/dashboard/apps/${appId}`);
  await expect(page.getByRole("heading", { name: "My own app", level: 1 })).toBeVisible();
  await expect(page.getByRole("region", { name: "Settings" })).toContainText("read:data");

  for (const path of [
    `/dashboard/tokens/${other.tokenId}`,
    `/dashboard/apps/${other.appId}`,
    "/dashboard/tokens/00000000-0000-4000-8000-000000000000",
    "/dashboard/apps/00000000-0000-4000-8000-000000000000",
    "/dashboard/tokens/not-a-token",
    "/dashboard/apps/not-an-app",
  ]) {
    const answer = await page.goto(path);
    expect(answer?.status(), path).toBe(404);
    await expect(page.getByRole("heading", { name: "Page not found", level: 1 })).toBeVisible();
  }
  await checkPage(page, testInfo, "app-page-not-found");

  // No session cookie (proxy.ts), and one the database does not know (the layout): both go to sign-in, then back.
  const signedOut = await browser.newContext({ baseURL: base, serviceWorkers: "block" });
  const stranger = await signedOut.newPage();
  for (const path of [`/dashboard/tokens/${other.tokenId}`, `/dashboard/apps/${other.appId}`, "/dashboard/activity"]) {
    await stranger.goto(path);
    expect(new URL(stranger.url()).pathname + new URL(stranger.url()).search, path).toBe(`/login?next=${encodeURIComponent(path)}`);
  }
  // Well-formed (20 bytes in base32), so only the database can say it is no session.
  await signedOut.addCookies([{ name: "carestral_session", value: "a".repeat(32), url: base }]);
  await stranger.goto(`/dashboard/apps/${other.appId}`);
  expect(new URL(stranger.url()).search).toBe(`?next=${encodeURIComponent(`/dashboard/apps/${other.appId}`)}`);
  await signedOut.close();
});

test("when the database fails the page's reads, every dashboard page keeps its frame; each section says so, and Retry brings it back", async ({ page }, testInfo) => {
  const user = await signUp(page);
  await generateToken(page, "Through the outage");
  const tokenPath = (await page.getByRole("link", { name: "Through the outage", exact: true }).getAttribute("href")) ?? "";
  const appPath = `/dashboard/apps/${await connectedApp(user, "Outage app")}`;

  const pages = [
    { path: "/dashboard/tokens", heading: "API tokens", sections: 2, back: page.getByRole("link", { name: "Through the outage", exact: true }) },
    { path: tokenPath, heading: "Token", sections: 3, back: page.getByRole("heading", { name: "Through the outage", level: 1 }) },
    { path: appPath, heading: "Connected app", sections: 3, back: page.getByRole("heading", { name: "Outage app", level: 1 }) },
    { path: "/dashboard/activity", heading: "Activity", sections: 2, back: page.getByRole("figure") },
    { path: "/dashboard/bookings", heading: "Bookings", sections: 1, back: page.getByText("No bookings yet.") },
  ];
  await failDataReads();
  try {
    for (const { path, heading, sections } of pages) {
      const answer = await page.goto(path);
      expect(answer?.status(), path).toBe(200);
      await expect(page.getByRole("heading", { name: heading, level: 1 }), path).toBeVisible();
      // The dashboard's header and navigation stay, and no section took the page down with it.
      await expect(page.getByRole("navigation", { name: "Dashboard" })).toBeVisible();
      await expect(page.getByRole("heading", { name: "Something went wrong" })).toHaveCount(0);
      const failures = page.getByRole("alert").filter({ hasText: /^Could not load/ });
      await expect(failures, path).toHaveCount(sections, { timeout: 20_000 });
      for (const failure of await failures.all()) {
        await expect(failure.getByRole("button", { name: "Retry" })).toBeVisible();
      }
      await checkPage(page, testInfo, `read-failure-${heading.toLowerCase().replace(/ /g, "-")}`);
    }
  } finally {
    await restoreDataReads();
  }

  for (const { path, back } of pages) {
    await page.goto(path);
    await expect(back, path).toBeVisible();
  }
  // On a page still showing the failures, Retry brings each section back in place.
  await failDataReads();
  try {
    await page.goto(tokenPath);
    await expect(page.getByRole("alert").filter({ hasText: /^Could not load/ })).toHaveCount(3, { timeout: 20_000 });
  } finally {
    await restoreDataReads();
  }
  const retries = page.getByRole("button", { name: "Retry" });
  for (let left = await retries.count(); left > 0; left -= 1) {
    await retries.first().click();
    await expect(retries).toHaveCount(left - 1);
  }
  await expect(page.getByRole("heading", { name: "Through the outage", level: 1 })).toBeVisible();
  await expect(page.getByRole("region", { name: "Settings" })).toContainText("read:data, write:bookings");
  await expect(page.getByRole("figure")).toContainText("Calls with this token");
  await expect(page.getByText("No tool calls yet.")).toBeVisible();
  await expect(page.getByRole("alert").filter({ hasText: /^Could not load/ })).toHaveCount(0);
});
