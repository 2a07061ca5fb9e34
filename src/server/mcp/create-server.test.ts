import { randomUUID } from "node:crypto";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "~/server/db/client";
import { users } from "~/server/db/schema";
import type { TokenScope } from "~/server/tokens/scopes";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { generateToken } from "~/server/tokens/service";
import { activityRecorder } from "~/server/activity/recorder";
import { handleMcpRequest } from "./http";
import { futureSlot, scratchDatabases } from "~/test/mcp-client";

const ALL_TOOLS = ["whoami", "hospitals_search", "hospitals_get", "bookings_list", "bookings_create", "bookings_cancel"];

interface Person {
  userId: string;
  email: string;
}

async function insertPerson(db: Database): Promise<Person> {
  const email = `${randomUUID()}@example.test`;
  const [user] = await db.insert(users).values({ email, firstname: "Grace", surname: "Hopper", passwordHash: "not-a-real-hash" }).returning({ id: users.id });
  if (!user) throw new Error("no user");
  return { userId: user.id, email };
}

/** A real personal token of `person`'s (30 days), as the token service issues it. */
async function authFor(db: Database, person: Person, scopes: TokenScope[], name = `Test client ${randomUUID().slice(0, 8)}`): Promise<string> {
  const { token } = await generateToken(db, person.userId, { name, scopes, expiresInDays: 30 });
  return token;
}

async function connect(bearer: string, db: Database): Promise<Client> {
  // The client's HTTP requests are answered in process, by the handler /api/mcp calls, on the test's database.
  const databases = scratchDatabases(db);
  const transport = new StreamableHTTPClientTransport(new URL("http://127.0.0.1:3000/api/mcp"), {
    requestInit: { headers: { Authorization: `Bearer ${bearer}` } },
    fetch: (url, init) => handleMcpRequest(new Request(url, init), databases),
  });
  const client = new Client({ name: "test", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

function errorText(result: CallToolResult): string {
  expect(result.isError).toBe(true);
  const [first] = result.content;
  return first?.type === "text" ? first.text : "";
}

describe.each(engines)("MCP tools on %s", (engine) => {
  const test = useTestDatabase(engine);
  let person: Person;
  let full: Client;

  beforeAll(async () => {
    person = await insertPerson(test.db);
    full = await connect(await authFor(test.db, person, ["read:data", "write:bookings"], "Claude Desktop"), test.db);
  });
  afterAll(async () => {
    await full.close();
    // The calls' trail rows are written to this database: write them before it closes.
    await activityRecorder.flush();
  });

  it("lists only what the token's scopes permit", async () => {
    const names = async (scopes: TokenScope[]) => {
      const client = await connect(await authFor(test.db, person, scopes), test.db);
      const { tools } = await client.listTools();
      await client.close();
      return tools.map((tool) => tool.name).sort();
    };
    expect(await names(["read:data"])).toEqual(["bookings_list", "hospitals_get", "hospitals_search", "whoami"]);
    expect(await names(["write:bookings"])).toEqual(["bookings_cancel", "bookings_create", "whoami"]);
    expect(await names(["read:data", "write:bookings"])).toEqual([...ALL_TOOLS].sort());
  });

  it("describes every tool with schemas and annotations", async () => {
    const { tools } = await full.listTools();
    for (const tool of tools) {
      expect(tool.description?.length).toBeGreaterThan(40);
      expect(tool.inputSchema.type).toBe("object");
      expect(tool.outputSchema?.type).toBe("object");
      for (const hint of ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const) {
        expect(tool.annotations?.[hint], `${tool.name} ${hint}`).toBeTypeOf("boolean");
      }
      // Nullable fields as anyOf with { type: "null" }: type arrays are less portable (MCP Inspector --strict).
      expect(JSON.stringify([tool.inputSchema, tool.outputSchema]), tool.name).not.toMatch(/"type":\[/);
    }
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    expect(byName.get("hospitals_search")?.annotations?.readOnlyHint).toBe(true);
    expect(byName.get("bookings_cancel")?.annotations?.destructiveHint).toBe(true);
    expect(byName.get("bookings_create")?.inputSchema.required).toEqual(["hospital_id", "specialty", "starts_at"]);
    const hospital = (byName.get("hospitals_get")?.outputSchema?.properties as { hospital: { properties: Record<string, unknown> } }).hospital;
    expect(hospital.properties.phone).toEqual({ anyOf: [{ type: "string" }, { type: "null" }] });
  });

  it("refuses a tool outside the scopes with a result that names the scope", async () => {
    const reader = await connect(await authFor(test.db, person, ["read:data"]), test.db);
    const result = await call(reader, "bookings_create", { hospital_id: "paris-hegp", specialty: "Cardiologie", starts_at: futureSlot(3) });
    expect(errorText(result)).toMatch(/"write:bookings" scope/);
    // The scope comes first, whatever the arguments: no argument errors about a tool it cannot use.
    expect(errorText(await call(reader, "bookings_create", {}))).toMatch(/"write:bookings" scope/);
    expect(errorText(await call(reader, "bookings_cancel", { booking_id: "nope" }))).toMatch(/"write:bookings" scope/);
    await reader.close();

    const writer = await connect(await authFor(test.db, person, ["write:bookings"]), test.db);
    expect(errorText(await call(writer, "hospitals_search", { city: "paris" }))).toMatch(/"read:data" scope/);
    await writer.close();
  });

  it("whoami tells who the token belongs to", async () => {
    const result = await call(full, "whoami");
    expect(result.structuredContent).toMatchObject({
      user: { id: person.userId, email: person.email, firstname: "Grace", surname: "Hopper" },
      token: { name: "Claude Desktop", scopes: ["read:data", "write:bookings"], expires_at: expect.any(String) },
    });
    const [text] = result.content;
    expect(text?.type === "text" && JSON.parse(text.text)).toEqual(result.structuredContent);
  });

  it("searches hospitals forgivingly and pages with a cursor", async () => {
    const first = await call(full, "hospitals_search", { city: "paris", specialty: "cardiologie", limit: 2 });
    const page = first.structuredContent as { hospitals: { id: string; city: string; specialties: string[] }[]; next_cursor: string | null };
    expect(page.hospitals).toHaveLength(2);
    expect(page.hospitals.every((hospital) => hospital.city === "Paris" && hospital.specialties.includes("Cardiologie"))).toBe(true);
    expect(page.next_cursor).toEqual(expect.any(String));

    const second = await call(full, "hospitals_search", { city: "paris", specialty: "cardiologie", limit: 2, cursor: page.next_cursor });
    const secondPage = second.structuredContent as { hospitals: { id: string }[] };
    expect(secondPage.hospitals.length).toBeGreaterThan(0);
    expect(secondPage.hospitals.map((hospital) => hospital.id)).not.toContain(page.hospitals[0]?.id);

    expect(errorText(await call(full, "hospitals_search", { cursor: "garbage" }))).toMatch(/cursor is not valid/);
    expect(errorText(await call(full, "hospitals_search", { limit: 500 }))).toMatch(/limit/);
  });

  it("gets a hospital, and explains an unknown id", async () => {
    const result = await call(full, "hospitals_get", { hospital_id: "paris-necker" });
    expect(result.structuredContent).toMatchObject({ hospital: { id: "paris-necker", postal_code: "75015", specialties: expect.arrayContaining(["Pédiatrie"]) } });
    expect(errorText(await call(full, "hospitals_get", { hospital_id: "atlantis" }))).toMatch(/No hospital has the id 'atlantis'/);
  });

  it("books, lists and cancels, recording the token that booked", async () => {
    const startsAt = futureSlot(5);
    const created = await call(full, "bookings_create", { hospital_id: "paris-pitie-salpetriere", specialty: "cardiologie", starts_at: startsAt, note: "Check-up" });
    const booking = (created.structuredContent as { booking: { id: string } }).booking;
    expect(created.structuredContent).toMatchObject({
      booking: { hospital: { id: "paris-pitie-salpetriere" }, specialty: "Cardiologie", starts_at: startsAt, status: "confirmed", token_name: "Claude Desktop", note: "Check-up" },
    });

    const listed = await call(full, "bookings_list", { status: "confirmed" });
    expect((listed.structuredContent as { bookings: { id: string }[] }).bookings.map((entry) => entry.id)).toContain(booking.id);

    const cancelled = await call(full, "bookings_cancel", { booking_id: booking.id });
    expect(cancelled.structuredContent).toMatchObject({ booking: { id: booking.id, status: "cancelled", cancelled_at: expect.any(String) } });
    expect((await call(full, "bookings_cancel", { booking_id: booking.id })).structuredContent).toEqual(cancelled.structuredContent);
    const stillConfirmed = await call(full, "bookings_list", { status: "confirmed" });
    expect((stillConfirmed.structuredContent as { bookings: { id: string }[] }).bookings.map((entry) => entry.id)).not.toContain(booking.id);
  });

  it("explains each refused booking", async () => {
    const base = { hospital_id: "paris-necker", specialty: "Pédiatrie" };
    expect(errorText(await call(full, "bookings_create", { ...base, hospital_id: "atlantis", starts_at: futureSlot(6) }))).toMatch(/atlantis/);
    expect(errorText(await call(full, "bookings_create", { ...base, specialty: "Cardiologie", starts_at: futureSlot(6) }))).toMatch(/does not offer 'Cardiologie'/);
    expect(errorText(await call(full, "bookings_create", { ...base, starts_at: "2001-01-01T10:00:00Z" }))).toMatch(/in the past/);
    expect(errorText(await call(full, "bookings_create", { ...base, starts_at: "tomorrow at ten" }))).toMatch(/ISO 8601/);
    expect(errorText(await call(full, "bookings_create", { ...base, starts_at: futureSlot(6), note: "x".repeat(501) }))).toMatch(/500 characters/);

    const startsAt = futureSlot(7);
    expect((await call(full, "bookings_create", { ...base, starts_at: startsAt })).isError).toBeFalsy();
    expect(errorText(await call(full, "bookings_create", { hospital_id: "paris-hegp", specialty: "Urgences", starts_at: startsAt }))).toMatch(
      /already have a booking/,
    );
  });

  it("does not let one person cancel another's booking", async () => {
    const created = await call(full, "bookings_create", { hospital_id: "paris-tenon", specialty: "Urologie", starts_at: futureSlot(8) });
    const { id } = (created.structuredContent as { booking: { id: string } }).booking;
    const stranger = await connect(await authFor(test.db, await insertPerson(test.db), ["read:data", "write:bookings"]), test.db);
    expect(errorText(await call(stranger, "bookings_cancel", { booking_id: id }))).toMatch(/no booking with the id/);
    expect((await call(stranger, "bookings_list")).structuredContent).toEqual({ bookings: [] });
    expect(errorText(await call(stranger, "bookings_cancel", { booking_id: "not-a-uuid" }))).toMatch(/UUID/);
    await stranger.close();
  });
});
