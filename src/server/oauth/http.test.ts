import { afterEach, describe, expect, it, vi } from "vitest";
import { DatabaseTimeoutError } from "~/server/db/deadline";
import { log } from "~/server/observability/logger";
import { OAuthError, oauthRoute } from "./http";

// The one error path of the OAuth routes: whatever a handler throws, from whatever depth, becomes one answer.

const post = (body: string, type = "application/x-www-form-urlencoded") => new Request("http://localhost/oauth/x", { method: "POST", headers: { "Content-Type": type }, body });

async function deep(): Promise<never> {
  await Promise.resolve();
  throw OAuthError.tooMany("invalid_request", "Slow down.", 7);
}

describe("oauthRoute", () => {
  afterEach(() => vi.restoreAllMocks());

  it("answers an OAuthError thrown at any depth as RFC 6749 JSON with its headers, no-store and CORS", async () => {
    const response = await oauthRoute("test", async ({ form }) => {
      await form();
      return deep();
    })(post("a=1"));
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("7");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(await response.json()).toEqual({ error: "invalid_request", error_description: "Slow down." });
  });

  it("owns body reading: the content type, the size bound and JSON objects", async () => {
    const formRoute = oauthRoute("test", async ({ form }) => Response.json(Object.fromEntries(await form())));
    expect(await (await formRoute(post("grant_type=x"))).json()).toEqual({ grant_type: "x" });
    expect((await formRoute(post("{}", "application/json"))).status).toBe(400);
    expect((await formRoute(post(`a=${"x".repeat(17 * 1024)}`))).status).toBe(413);
    const jsonRoute = oauthRoute("test", async ({ json }) => Response.json(await json("invalid_client_metadata", 1024)));
    expect(await (await jsonRoute(post('{"a":1}', "application/json"))).json()).toEqual({ a: 1 });
    const array = await jsonRoute(post("[1]", "application/json"));
    expect(array.status).toBe(400);
    expect(await array.json()).toMatchObject({ error: "invalid_client_metadata" });
    expect((await jsonRoute(post(JSON.stringify({ a: "x".repeat(2000) }), "application/json"))).status).toBe(413);
  });

  it("turns a database deadline into 503 and anything else into a logged 500 that says nothing of it", async () => {
    const logged = vi.spyOn(log, "error").mockImplementation(() => undefined);
    const timeout = await oauthRoute("test", () => Promise.reject(new DatabaseTimeoutError("late")))(post(""));
    expect(timeout.status).toBe(503);
    expect(timeout.headers.get("retry-after")).toBe("5");
    expect(await timeout.json()).toMatchObject({ error: "temporarily_unavailable" });
    const broken = await oauthRoute("test", () => Promise.reject(new Error("secret detail")))(post(""));
    expect(broken.status).toBe(500);
    expect(await broken.text()).not.toContain("secret detail");
    expect(logged).toHaveBeenCalledOnce();
  });

  it("answers the browser's consent form in plain text", async () => {
    const response = await oauthRoute("consent", () => Promise.reject(new OAuthError(400, "invalid_request", "Choose Allow or Deny.")), "text")(post(""));
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toContain("text/plain");
    expect(await response.text()).toBe("Choose Allow or Deny.");
  });
});
