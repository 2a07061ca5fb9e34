import { readFileSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { expect, test, type Page } from "./test";
import { generateToken, signUp } from "./helpers";
import { checkPage } from "./page-check";

// Issue 20 item 6: a person's times read in their own zone (their browser's, kept, changeable), labelled;
// appointments in the hospital's local time, labelled with its place.

test.use({ timezoneId: "America/New_York" });
// A long journey with several axe runs and screenshots, on a shared 2-core machine.
test.describe.configure({ timeout: 150_000 });

/** "Dec 4": how the chart names the day `date` falls on in `timeZone`. */
function chartDay(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("en", { day: "numeric", month: "short", timeZone }).format(date);
}

/** A quarter-hour start 10 days ahead at 10:30 on Paris clocks, as ISO 8601 with Paris's offset that day. */
function parisHalfPastTen(): string {
  const day = new Date(Date.now() + 10 * 86_400_000);
  const date = new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone: "Europe/Paris" }).format(day);
  const offset = new Intl.DateTimeFormat("en", { timeZone: "Europe/Paris", timeZoneName: "longOffset" }).formatToParts(day).find((part) => part.type === "timeZoneName")?.value;
  return `${date}T10:30:00${(offset ?? "GMT+01:00").replace("GMT", "")}`;
}

async function chartLastDay(page: Page, label: string): Promise<string> {
  const bars = page.getByRole("group", { name: `${label}, per day` });
  await expect(bars.getByRole("button")).toHaveCount(30);
  return (await bars.getByRole("button").last().getAttribute("aria-label")) ?? "";
}

test("times read in the person's zone, labelled, and change with it in Settings; appointments keep the hospital's time", async ({ page, baseURL }, testInfo) => {
  // The server renders with the stored zone and the browser hydrates with it: React reports any text that differs.
  const hydrationErrors: string[] = [];
  const isHydrationError = (text: string) => /hydrat|#418|#425/i.test(text);
  page.on("console", (message) => {
    if (message.type() === "error" && isHydrationError(message.text())) hydrationErrors.push(message.text());
  });
  // A production build reports it as an uncaught error ("Minified React error #418"), not on the console.
  page.on("pageerror", (error) => {
    if (isHydrationError(error.message)) hydrationErrors.push(error.message);
  });
  await signUp(page);
  // The first dashboard visit keeps the browser's zone, and the page says which zone its times are in.
  await expect(page.getByText("Times are in your time zone, America/New_York.")).toBeVisible();
  const token = await generateToken(page, "Zones");

  const assistant = new Client({ name: "e2e-zones", version: "1.0.0" });
  await assistant.connect(
    new StreamableHTTPClientTransport(new URL("/api/mcp", baseURL), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
  );
  const search = await assistant.callTool({ name: "hospitals_search", arguments: { city: "paris", limit: 1 } });
  const [hospital] = (search.structuredContent as { hospitals: { id: string; name: string; specialties: string[] }[] }).hospitals;
  if (!hospital) throw new Error("no hospital in Paris");
  const created = await assistant.callTool({
    name: "bookings_create",
    arguments: { hospital_id: hospital.id, specialty: hospital.specialties[0] ?? "", starts_at: parisHalfPastTen() },
  });
  expect(created.isError).toBeFalsy();
  await assistant.close();

  // Tokens: dates in New York, each full time (the tooltip) with its zone's short name.
  await page.reload();
  const row = page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: "Zones" }) });
  const createdAt = row.locator("td[data-label='Created'] time");
  await expect(createdAt).toHaveText(new Intl.DateTimeFormat("en", { dateStyle: "medium", timeZone: "America/New_York" }).format(new Date()));
  await expect(createdAt).toHaveAttribute("title", /\d:\d\d\s[AP]M E[SD]T$/);
  await checkPage(page, testInfo, "time-zone-tokens");

  // The token's page: created in New York time, the chart's days New York's.
  await row.getByRole("link", { name: "Zones" }).click();
  await expect(page.getByText("Times are in your time zone, America/New_York.")).toBeVisible();
  const settings = page.getByRole("region", { name: "Settings" });
  await expect(settings).toContainText(/Created.*\d:\d\d\s[AP]M E[SD]T/);
  await expect(page.getByText(/in the last 30 days \(days in America\/New_York\)\.$/)).toBeVisible();
  await expect(async () => {
    await page.reload();
    expect(await chartLastDay(page, "Calls with “Zones”")).toMatch(new RegExp(`^${chartDay(new Date(), "America/New_York")}: [1-9]\\d* calls?$`));
  }).toPass({ timeout: 15_000 });
  await checkPage(page, testInfo, "time-zone-token-page");

  // Activity: the note, and a CSV whose header names the zone and whose times carry New York's offset.
  await page.goto("/dashboard/activity");
  await expect(page.getByText("Times are in your time zone, America/New_York.")).toBeVisible();
  await expect(page.getByText(/Whole days in America\/New_York, both included/)).toBeVisible();
  await expect(page.getByRole("region", { name: "Activity" }).getByRole("row").filter({ hasText: "bookings_create" }).locator("time")).toHaveAttribute("title", /E[SD]T$/);
  await checkPage(page, testInfo, "time-zone-activity");
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).click()]);
  const lines = readFileSync((await download.path()) ?? "", "utf8").trim().split("\r\n");
  expect(lines[0]).toBe("time (America/New_York),token,token_id,tool,outcome,duration_ms,client_ip,user_agent,summary,error,client_name,client_version");
  const booked = lines.find((line) => line.includes("bookings_create")) ?? "";
  expect(booked).toMatch(/^"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}-0[45]:00",/);

  // Bookings: at the hospital's clock, labelled with its place, whatever the person's zone.
  await page.goto("/dashboard/bookings");
  const appointment = page.getByRole("row").filter({ hasText: hospital.name });
  await expect(appointment.locator("td[data-label='When']")).toHaveText(/, 10:30\sAM \(Paris time\)$/);
  await checkPage(page, testInfo, "time-zone-bookings");

  // Settings: the zone kept from the browser, changed to Tokyo.
  await page.goto("/settings");
  const select = page.getByRole("combobox", { name: "Time zone" });
  await expect(select).toHaveValue("America/New_York");
  await checkPage(page, testInfo, "time-zone-settings");
  await select.selectOption("Asia/Tokyo");
  await page.getByRole("button", { name: "Save time zone" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved: times are shown in Asia/Tokyo." })).toBeVisible();
  // The browser is still in New York: Settings says so, and offers it back.
  await expect(page.getByText("This browser is set to America/New_York.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Use this browser’s zone" })).toBeVisible();
  await expect(page.getByRole("list", { name: "Sessions" })).toContainText(/signed in .*\d:\d\d\s[AP]M GMT\+9/);
  await checkPage(page, testInfo, "time-zone-settings-tokyo");
  // Offered back, it sets the select to the browser's zone; only Save keeps it, so leaving keeps Tokyo.
  await page.getByRole("button", { name: "Use this browser’s zone" }).click();
  await expect(select).toHaveValue("America/New_York");
  await expect(page.getByRole("button", { name: "Use this browser’s zone" })).toBeHidden();
  await expect(page.getByText("This browser is set to America/New_York.")).toBeHidden();

  // What is shown follows: Tokyo's days and times; the appointment stays at 10:30 Paris time.
  await page.goto("/dashboard/activity");
  await expect(page.getByText("Times are in your time zone, Asia/Tokyo.")).toBeVisible();
  await expect(page.getByText(/\(days in Asia\/Tokyo\)\.$/)).toBeVisible();
  expect(await chartLastDay(page, "Calls with all your tokens")).toMatch(new RegExp(`^${chartDay(new Date(), "Asia/Tokyo")}: `));
  await page.goto("/dashboard/tokens");
  await expect(page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: "Zones" }) }).locator("td[data-label='Created'] time")).toHaveAttribute(
    "title",
    /GMT\+9$/,
  );
  await page.goto("/dashboard/bookings");
  await expect(page.getByRole("row").filter({ hasText: hospital.name }).locator("td[data-label='When']")).toHaveText(/, 10:30\sAM \(Paris time\)$/);

  // A zone the server does not know: 400 with a message, nothing changed.
  const refused = await page.request.post("/api/trpc/account.setTimeZone", {
    headers: { "Content-Type": "application/json", Origin: baseURL ?? "" },
    data: { json: { timeZone: "Mars/Olympus_Mons" } }, // superjson
  });
  expect(refused.status()).toBe(400);
  expect(await refused.text()).toContain("is not a time zone we know");
  await page.goto("/settings");
  await expect(page.getByRole("combobox", { name: "Time zone" })).toHaveValue("Asia/Tokyo");
  expect(hydrationErrors).toEqual([]);
});
