import { describe, expect, it } from "vitest";
import type { Database } from "~/server/db/client";
import { registerClient } from "../clients";
import { validateClientMetadataDocument } from "./document";
import { MAX_CLIENT_METADATA_BYTES } from "./rules";

// One client-metadata model: a registration (DCR) and a metadata document (CIMD) are held to the same rules.
// The cases that say which path took them used to pass that path and not the other (proven against the old code).

const CLIENT_ID = "https://agent.example/client.json";
const document = { client_id: CLIENT_ID, client_name: "Agent", redirect_uris: ["https://agent.example/cb"], token_endpoint_auth_method: "none" };
const registration = { client_name: "Agent", redirect_uris: ["https://agent.example/cb"], token_endpoint_auth_method: "none" };
// Refusals are decided before the database is touched; a registration that got further would throw here.
const noDatabase = new Proxy({}, { get: () => { throw new Error("the database was reached"); } }) as Database;

const refused: [string, Record<string, unknown>][] = [
  ["a mailto: redirect URI (documents took it)", { redirect_uris: ["mailto:someone@agent.example"] }],
  ["a tel: redirect URI (documents took it)", { redirect_uris: ["tel:+15550100"] }],
  ["a filesystem: redirect URI (registrations took it)", { redirect_uris: ["filesystem:https://agent.example/temporary/cb"] }],
  ["a redirect URI with a space (registrations took it)", { redirect_uris: ["https://agent.example/c b"] }],
  ["a redirect URI with a backslash (registrations took it)", { redirect_uris: ["https://agent.example\\@evil.example/cb"] }],
  ["a redirect URI longer than 2048 characters", { redirect_uris: [`https://agent.example/${"a".repeat(2048)}`] }],
  ["a name with a bidi override", { client_name: "Claude\u202egnp.exe" }],
  ["a name with a zero-width space (documents took it)", { client_name: "Cla\u200bude" }],
  ["a name of 101 characters (documents took up to 200)", { client_name: "x".repeat(101) }],
  ["a name on two lines", { client_name: "Agent\nApproved by Carestral" }],
  ["a javascript: logo_uri", { logo_uri: "javascript:alert(1)" }],
  ["a data: client_uri", { client_uri: "data:text/html,hi" }],
  ["an http tos_uri (documents did not check it)", { tos_uri: "http://agent.example/terms" }],
  ["a javascript: policy_uri (documents did not check it)", { policy_uri: "javascript:alert(1)" }],
  ["a logo_uri with credentials (registrations took it)", { logo_uri: "https://user:secret@agent.example/logo.png" }],
  ["a client_uri with a space (registrations took it)", { client_uri: "https://agent.example/a b" }],
];

describe("one client-metadata model for registrations and metadata documents", () => {
  it.each(refused)("refuses %s on both paths", async (_, fields) => {
    expect(validateClientMetadataDocument(CLIENT_ID, { ...document, ...fields })).toMatchObject({ ok: false });
    expect(await registerClient(noDatabase, { ...registration, ...fields })).toMatchObject({ ok: false });
  });

  it("takes the same good metadata on the document path (the registration path is exercised over HTTP)", () => {
    const good = {
      client_name: "  Zoë’s agent 👩‍💻 ",
      redirect_uris: ["https://agent.example/cb", "http://127.0.0.1/cb", "http://[::1]:4000/cb", "cursor://agent.example/cb"],
      client_uri: "https://agent.example/",
      logo_uri: "https://agent.example/logo.png",
      tos_uri: "https://agent.example/terms",
      policy_uri: "https://agent.example/privacy",
    };
    expect(validateClientMetadataDocument(CLIENT_ID, { ...document, ...good })).toMatchObject({ ok: true, client: { clientName: "Zoë’s agent 👩‍💻" } });
  });

  it("bounds both at 5 KiB: a document's body (fetch test) and a registration's body (HTTP test)", () => {
    expect(MAX_CLIENT_METADATA_BYTES).toBe(5 * 1024);
  });
});
