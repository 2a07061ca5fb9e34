import { describe, expect, it } from "vitest";
import { testDatabaseUrl } from "~/test/env";
import { startTestServer } from "~/test/fixtures";
import { signUpOverHttp } from "~/test/trpc-http";
import { callTool, connectMcpClient, postMcp } from "~/test/mcp-client";

// Revocation is instant on every instance: no cache anywhere, each request reads the table.
// Two `next start` processes share one PostgreSQL; revoke through A, refused by B.
describe.skipIf(!testDatabaseUrl)("revocation across two servers", () => {
  // One at a time: the first applies the migrations.
  const serverA = startTestServer();
  const serverB = startTestServer({ sameDatabaseAs: serverA });

  it("refuses the very next call on B once tokens.revoke resolves on A", async () => {
    const person = await signUpOverHttp(serverA.url);
    const created = await person.client.tokens.generate.mutate({ name: "Cursor", scopes: ["read:data", "write:bookings"], expiresInDays: 30 });

    const onB = await connectMcpClient(serverB.url, created.token);
    expect((await callTool(onB, "whoami")).structuredContent).toMatchObject({ token: { name: "Cursor" } });
    expect((await callTool(onB, "bookings_list")).isError).toBeFalsy();

    await person.client.tokens.revoke.mutate({ id: created.id });

    // The SDK client surfaces the 401 with its body, which says why.
    await expect(callTool(onB, "whoami")).rejects.toMatchObject({ code: 401, message: expect.stringMatching(/revoked/) });
    const refused = await postMcp(serverB.url, { headers: { Authorization: `Bearer ${created.token}` } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toMatch(/error="invalid_token", error_description="[^"]*revoked[^"]*"/);
    await onB.close();
  });
});
