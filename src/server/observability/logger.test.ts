import { AsyncLocalStorage } from "node:async_hooks";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, scrubSecrets, type RequestContext } from "./logger";

function collectingLogger(level = "info") {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString().split("\n").filter(Boolean));
      callback();
    },
  });
  const requests = new AsyncLocalStorage<RequestContext>();
  const logger = createLogger(destination, requests, level);
  return { logger, requests, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>), raw: () => lines.join("\n") };
}

const TOKEN = "mcp_0123456789abcdefABCDEF0123456789abcdefABCDEF";
const OAUTH_TOKEN = "mcpo_0123456789abcdefABCDEF0123456789abcdefABCDEFgh";

describe("the logger", () => {
  it("writes one JSON line per event with level, time and message", () => {
    const { logger, parsed } = collectingLogger();
    logger.info("hello");
    logger.debug("below the floor");
    expect(parsed()).toEqual([{ level: "info", time: expect.any(String), msg: "hello" }]);
  });

  it("adds the request's ids to every line written while it is handled", () => {
    const { logger, requests, parsed } = collectingLogger();
    requests.run({ requestId: "req-1", personId: "person-1" }, () => logger.warn("inside"));
    logger.warn("outside");
    expect(parsed()[0]).toMatchObject({ requestId: "req-1", personId: "person-1", msg: "inside" });
    expect(parsed()[1]).not.toHaveProperty("requestId");
  });

  it("lets no credential, cookie, password or mailed link through, as a field or inside a message", () => {
    const { logger, raw } = collectingLogger("trace");
    logger.info(
      {
        authorization: `Bearer ${TOKEN}`,
        headers: { cookie: "carestral_session=s3ss10n-value", "set-cookie": "carestral_session=s3ss10n-value; HttpOnly" },
        body: { password: "Correct-Horse-Battery", token: OAUTH_TOKEN, totpSecret: "JBSWY3DPEHPK3PXP" },
        resetLink: "https://care.example/reset-password?token=r3set-l1nk-t0ken",
      },
      `called with ${TOKEN} and Bearer ${OAUTH_TOKEN}; mailed https://care.example/reset-password?token=r3set-l1nk-t0ken`,
    );
    logger.error({ err: new Error(`could not verify ${TOKEN.slice(0, 30)}`) }, "failed");
    logger.warn(`cookie was carestral_session=s3ss10n-value, code=0auth-c0de&state=st4te`);
    const text = raw();
    for (const secret of [TOKEN.slice(4, 20), OAUTH_TOKEN.slice(5, 21), "s3ss10n-value", "Correct-Horse-Battery", "JBSWY3DPEHPK3PXP", "r3set-l1nk-t0ken", "0auth-c0de", "st4te"]) {
      expect(text).not.toContain(secret);
    }
    // What is left still says what happened.
    expect(text).toContain("mcp_[redacted]");
    expect(text).toContain("/reset-password?token=[redacted]");
  });

  it("scrubs our token formats, bearer and basic credentials and secret-bearing parameters from text", () => {
    expect(scrubSecrets(`a ${TOKEN} b`)).toBe("a mcp_[redacted] b");
    expect(scrubSecrets("Authorization: Basic dXNlcjpwYXNz")).toBe("Authorization: Basic [redacted]");
    expect(scrubSecrets("/oauth/token?code_verifier=abc&grant_type=x")).toBe("/oauth/token?code_verifier=[redacted]&grant_type=x");
    expect(scrubSecrets("nothing secret here")).toBe("nothing secret here");
  });
});
