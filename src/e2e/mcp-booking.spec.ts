import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { expect, test } from "./test";
import { generateToken, signUp } from "./helpers";
import { checkPage } from "./page-check";

/** An AI client, as Claude Code or Cursor would connect: Streamable HTTP with a static bearer header. */
async function connectAiClient(baseURL: string, token: string): Promise<Client> {
  const client = new Client({ name: "e2e-assistant", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL("/api/mcp", baseURL), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
  );
  return client;
}

test("a booking made through MCP shows on the Bookings page with its token, and can be cancelled there", async ({ page, baseURL }, testInfo) => {
  await signUp(page);
  const token = await generateToken(page, "My assistant");

  const assistant = await connectAiClient(baseURL ?? "", token);
  const search = await assistant.callTool({ name: "hospitals_search", arguments: { city: "lyon", specialty: "cardiologie", limit: 1 } });
  const [hospital] = (search.structuredContent as { hospitals: { id: string; name: string }[] }).hospitals;
  expect(hospital).toBeDefined();
  const startsAt = new Date(Date.now() + 14 * 24 * 60 * 60 * 1000);
  startsAt.setUTCHours(8, 30, 0, 0);
  const created = await assistant.callTool({
    name: "bookings_create",
    arguments: { hospital_id: hospital?.id, specialty: "cardiologie", starts_at: startsAt.toISOString(), note: "Annual check-up" },
  });
  expect(created.isError).toBeFalsy();
  const { id } = (created.structuredContent as { booking: { id: string } }).booking;

  await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Bookings" }).click();
  await expect(page.getByRole("heading", { name: "Bookings", level: 1 })).toBeVisible();
  const row = page.getByRole("row").filter({ hasText: hospital?.name ?? "" });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("Cardiologie");
  await expect(row).toContainText("Annual check-up");
  await expect(row).toContainText("My assistant");
  await expect(row).toContainText("Confirmed");
  await expect(row.locator("time")).toHaveAttribute("datetime", startsAt.toISOString());

  // Changing one's mind keeps the booking, and focus goes back to the row's Cancel.
  const cancel = row.getByRole("button", { name: "Cancel" });
  await cancel.click();
  await page.getByRole("dialog").getByRole("button", { name: "Keep booking" }).click();
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await expect(row).toContainText("Confirmed");
  await expect(cancel).toBeFocused();

  // By keyboard: Tab from Keep booking to Cancel booking, Enter.
  await cancel.press("Enter");
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText(hospital?.name ?? "");
  await expect(dialog.getByRole("button", { name: "Keep booking" })).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(dialog.getByRole("button", { name: "Cancel booking" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await expect(row).toContainText("Cancelled");
  await expect(cancel).toHaveCount(0);
  await expect(page.getByRole("status").filter({ hasText: "cancelled" })).toBeVisible();
  // The row's Cancel button is gone: focus lands on the list's heading, next to the announcement, not on <body>.
  await expect(page.getByRole("heading", { name: "Your appointments" })).toBeFocused();
  await checkPage(page, testInfo, "bookings-cancelled");

  // The assistant sees what the person did.
  const listed = await assistant.callTool({ name: "bookings_list", arguments: {} });
  expect((listed.structuredContent as { bookings: { id: string; status: string }[] }).bookings).toEqual([
    expect.objectContaining({ id, status: "cancelled" }),
  ]);
  await assistant.close();
});

test("the Bookings page explains where bookings come from when there are none", async ({ page }) => {
  await signUp(page);
  await page.goto("/dashboard/bookings");
  await expect(page.getByRole("heading", { name: "Bookings", level: 1 })).toBeVisible();
  await expect(page.getByText("No bookings yet.")).toBeVisible();
  await expect(page.getByText("Bookings your AI assistant makes appear here.")).toBeVisible();
  await expect(page.getByRole("link", { name: "API tokens" }).last()).toHaveAttribute("href", "/dashboard/tokens");
});
