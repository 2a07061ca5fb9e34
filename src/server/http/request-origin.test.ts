import { afterEach, describe, expect, it, vi } from "vitest";
import { env } from "~/env";
import { foreignRequestOrigin, requestOrigin } from "./request-origin";
import { log } from "~/server/observability/logger";

describe("requestOrigin", () => {
  it("reads the Host the browser used, with APP_URL's scheme", () => {
    expect(requestOrigin(new Headers({ host: "127.0.0.1:3000" }))).toBe(`${new URL(env.APP_URL).protocol}//127.0.0.1:3000`);
  });

  it("prefers what a proxy forwarded", () => {
    const headers = new Headers({ host: "internal:3000", "x-forwarded-host": "carestral.example, internal", "x-forwarded-proto": "https" });
    expect(requestOrigin(headers)).toBe("https://carestral.example");
  });

  it("gives up on a missing or nonsensical host", () => {
    expect(requestOrigin(new Headers())).toBeNull();
    expect(requestOrigin(new Headers({ host: "bad host/" }))).toBeNull();
  });
});

describe("foreignRequestOrigin", () => {
  afterEach(() => vi.restoreAllMocks());

  it("is null at APP_URL and logs nothing", () => {
    const warn = vi.spyOn(log, "warn").mockImplementation(() => {});
    const { host, protocol } = new URL(env.APP_URL);
    expect(foreignRequestOrigin(new Headers({ host, "x-forwarded-proto": protocol.replace(":", "") }))).toBeNull();
    expect(warn).not.toHaveBeenCalled();
  });

  it("names another origin, and logs it once", () => {
    const warn = vi.spyOn(log, "warn").mockImplementation(() => {});
    const headers = new Headers({ host: "192.0.2.7:3000", "x-forwarded-proto": "http" });
    expect(foreignRequestOrigin(headers)).toBe("http://192.0.2.7:3000");
    expect(foreignRequestOrigin(headers)).toBe("http://192.0.2.7:3000");
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[0]).toContain(`APP_URL is ${env.APP_URL}`);
  });
});
