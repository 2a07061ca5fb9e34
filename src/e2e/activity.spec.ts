import { readFileSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { expect, test } from "./test";
import { generateToken, newTokenValue, signUp } from "./helpers";
import { checkPage, isPhone } from "./page-check";

const NOTE = "Bring the cardiology letter from Dr Martin";
// The person's zone is their browser's: UTC here, as the chart's days below are computed (time-zones.spec.ts covers others).
test.use({ timezoneId: "UTC" });
// A long journey with several axe runs and screenshots, on a shared 2-core machine.
test.describe.configure({ timeout: 120_000 });

test("calls an assistant makes show on the token's page, in the activity and in the CSV, without their arguments", async ({ page, baseURL }, testInfo) => {
  await signUp(page);
  const token = await generateToken(page, "Trail assistant");

  const assistant = new Client({ name: "e2e-trail", version: "1.0.0" });
  await assistant.connect(
    new StreamableHTTPClientTransport(new URL("/api/mcp", baseURL), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
  );
  const search = await assistant.callTool({ name: "hospitals_search", arguments: { city: "lyon", specialty: "cardiologie", limit: 1 } });
  const [hospital] = (search.structuredContent as { hospitals: { id: string; name: string }[] }).hospitals;
  if (!hospital) throw new Error("no hospital in Lyon");
  const startsAt = new Date(Date.now() + 10 * 24 * 60 * 60 * 1000);
  startsAt.setUTCHours(9, 0, 0, 0);
  const created = await assistant.callTool({
    name: "bookings_create",
    arguments: { hospital_id: hospital.id, specialty: "cardiologie", starts_at: startsAt.toISOString(), note: NOTE },
  });
  expect(created.isError).toBeFalsy();
  const failed = await assistant.callTool({ name: "hospitals_get", arguments: { hospital_id: "no-such-hospital" } });
  expect(failed.isError).toBe(true);
  await assistant.close();

  // The token's name in the list leads to its page.
  await page.getByRole("link", { name: "Trail assistant" }).click();
  await expect(page).toHaveURL(/\/dashboard\/tokens\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { name: "Trail assistant", level: 1 })).toBeVisible();
  const activity = page.getByRole("region", { name: "Activity" });
  // Written within a flush interval; Refresh re-reads.
  await expect(async () => {
    await activity.getByRole("button", { name: "Refresh" }).click();
    await expect(activity.getByRole("row").filter({ hasText: "bookings_create" })).toHaveCount(1, { timeout: 1000 });
  }).toPass({ timeout: 10_000 });
  const booking = activity.getByRole("row").filter({ hasText: "bookings_create" });
  await expect(booking).toContainText(hospital.name);
  await expect(booking).toContainText("Cardiologie");
  await expect(booking).toContainText("OK");
  await expect(booking).toContainText(/just now|minute/);
  await expect(activity.getByRole("row").filter({ hasText: "hospitals_search" })).toContainText("city lyon, specialty cardiologie");
  await expect(page.getByText(NOTE)).toHaveCount(0);
  await expect(page.getByRole("group", { name: "Calls with “Trail assistant”, per day" })).toBeVisible();
  await checkPage(page, testInfo, "token-page-with-activity");

  // The client by the name it gave in initialize, not its HTTP library.
  await expect(booking).toContainText("e2e-trail 1.0.0");

  // Filters: only the failed call, with the reason the assistant was given.
  await activity.getByLabel("Outcome").selectOption("tool_error");
  await expect(activity.getByRole("row")).toHaveCount(2);
  await expect(activity.getByRole("row").nth(1)).toContainText("hospitals_get");
  await expect(activity.getByRole("row").nth(1)).toContainText("No hospital has the id 'no-such-hospital'");
  await checkPage(page, testInfo, "token-page-activity-filtered");
  await activity.getByLabel("Outcome").selectOption("");
  // Protocol calls (initialize, tools/list) are hidden until asked for, or picked as the tool.
  await expect(activity.getByRole("row").filter({ hasText: "initialize" })).toHaveCount(0);
  await activity.getByLabel("Show protocol calls").check();
  await expect(activity.getByRole("row").filter({ hasText: "initialize" })).toHaveCount(1);
  await activity.getByLabel("Show protocol calls").uncheck();
  await activity.getByLabel("Tool").selectOption("initialize");
  await expect(activity.getByRole("row").nth(1)).toContainText("initialize");

  // Description and the whole trail across tokens.
  await page.getByLabel("Description").fill("The e2e assistant");
  await page.getByRole("button", { name: "Save description" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();

  await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Activity" }).click();
  await expect(page.getByRole("heading", { name: "Activity", level: 1 })).toBeVisible();
  const all = page.getByRole("region", { name: "Activity" });
  await expect(all.getByRole("row").filter({ hasText: "bookings_create" })).toContainText("Trail assistant");
  await checkPage(page, testInfo, "activity");

  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).click()]);
  const csv = readFileSync((await download.path()) ?? "", "utf8");
  const lines = csv.trim().split("\r\n");
  expect(lines[0]).toBe("time (UTC),token,token_id,tool,outcome,duration_ms,client_ip,user_agent,summary,error,client_name,client_version");
  expect(lines.some((line) => line.includes("bookings_create") && line.includes(hospital.name) && line.includes(',"ok",'))).toBe(true);
  expect(lines.some((line) => line.includes("hospitals_get") && line.includes(',"tool_error",'))).toBe(true);
  expect(csv).not.toContain("cardiology letter");

  // Regenerate: a new secret shown once, the old one refused.
  await page.goto("/dashboard/tokens");
  await page.getByRole("link", { name: "Trail assistant" }).click();
  await page.getByRole("button", { name: "Regenerate", exact: true }).click();
  await expect(page.getByRole("dialog").getByRole("button", { name: "Cancel" })).toBeFocused();
  await checkPage(page, testInfo, "token-page-regenerate-dialog");
  await page.getByRole("dialog").getByRole("button", { name: "Regenerate token" }).click();
  const fresh = await newTokenValue(page);
  await checkPage(page, testInfo, "token-page-regenerated");
  expect(fresh).toMatch(/^mcp_/);
  expect(fresh).not.toBe(token);
  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByRole("heading", { name: "Trail assistant", level: 1 })).toBeVisible();
  await expect(page.getByLabel("Description")).toHaveValue("The e2e assistant");
  const refused = await fetch(new URL("/api/mcp", baseURL), {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  });
  expect(refused.status).toBe(401);
});

test("another person's token page is not found", async ({ page }, testInfo) => {
  await signUp(page);
  const response = await page.goto("/dashboard/tokens/00000000-0000-4000-8000-000000000000");
  expect(response?.status()).toBe(404);
  await checkPage(page, testInfo, "token-page-not-found");
});

test("the chart reads at 390 px: its figures clear of the bars, a value on focus, the numbers in a table", async ({ page, baseURL }, testInfo) => {
  await signUp(page);
  const token = await generateToken(page, "Chart");
  const assistant = new Client({ name: "e2e-chart", version: "1.0.0" });
  await assistant.connect(
    new StreamableHTTPClientTransport(new URL("/api/mcp", baseURL), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
  );
  for (let call = 0; call < 3; call += 1) await assistant.callTool({ name: "whoami", arguments: {} });
  await assistant.close();
  await page.getByRole("link", { name: "Chart" }).click();
  await expect(page).toHaveURL(/\/dashboard\/tokens\/[0-9a-f-]{36}$/);

  const bars = page.getByRole("group", { name: "Calls with “Chart”, per day" });
  const today = new Intl.DateTimeFormat("en", { day: "numeric", month: "short", timeZone: "UTC" }).format(new Date());
  // The trail is written within a flush interval; the chart is drawn with the page.
  await expect(async () => {
    await page.reload();
    await expect(bars.getByRole("button").last()).toHaveAccessibleName(/: [1-9]\d* calls?$/, { timeout: 1000 });
  }).toPass({ timeout: 15_000 });
  await expect(bars.getByRole("button")).toHaveCount(30);
  const todayName = (await bars.getByRole("button").last().getAttribute("aria-label")) ?? "";
  expect(todayName.startsWith(`${today}: `)).toBe(true);
  const todayCalls = Number(/: (\d+) calls?$/.exec(todayName)?.[1]);

  // Text at reading size on a phone too, and the figure line above the bars, not on them.
  const readout = page.getByText(/^Busiest day: /);
  await expect(readout).toHaveText(`Busiest day: ${today}, ${todayCalls} ${todayCalls === 1 ? "call" : "calls"}`);
  const sizes = await page.locator("figure").first().evaluate((figure) =>
    [...figure.querySelectorAll("figcaption, p, span")].filter((element) => element.textContent?.trim()).map((element) => parseFloat(getComputedStyle(element).fontSize)),
  );
  expect(Math.min(...sizes)).toBeGreaterThanOrEqual(12);
  const readoutBox = await readout.boundingBox();
  const barsBox = await bars.boundingBox();
  expect((readoutBox?.y ?? Infinity) + (readoutBox?.height ?? 0)).toBeLessThanOrEqual(barsBox?.y ?? 0);
  if (isPhone(testInfo)) expect(barsBox?.width ?? Infinity).toBeLessThanOrEqual(390);

  // One Tab stop; the arrow keys move between days and the focused day's value shows.
  await bars.getByRole("button").last().focus();
  await expect(page.getByText(`${today}: ${todayCalls} ${todayCalls === 1 ? "call" : "calls"}`, { exact: true })).toBeVisible();
  await page.keyboard.press("ArrowLeft");
  await expect(bars.getByRole("button").nth(28)).toBeFocused();
  await expect(bars.getByRole("button").nth(28)).toHaveAttribute("tabindex", "0");
  await expect(bars.getByRole("button").last()).toHaveAttribute("tabindex", "-1");
  await page.keyboard.press("Home");
  await expect(bars.getByRole("button").first()).toBeFocused();
  await checkPage(page, testInfo, "token-page-chart-focused");

  // The numbers, in a table behind a disclosure.
  await page.getByText("Show the numbers").click();
  const table = page.getByRole("table", { name: "Calls with “Chart”, per day (UTC)" });
  await expect(table.getByRole("row")).toHaveCount(31);
  await expect(table.getByRole("row").last()).toHaveText(`${today}${todayCalls}`);
  await checkPage(page, testInfo, "token-page-chart-numbers");
});
