import { describe, expect, it } from "vitest";
import { HASHING_CONCURRENCY, HASHING_QUEUE_MAX, PasswordHashingBusyError, passwordWeakness, verifyPassword } from "./password";

describe("password rules", () => {
  it.each(["1234567890", "qwertyuiop", "Password123", "iloveyou12"])("refuses the common password %s", (password) => {
    expect(passwordWeakness(password)).toMatch(/most common/);
  });

  it("refuses one repeated character and whitespace only", () => {
    expect(passwordWeakness("aaaaaaaaaaaa")).toMatch(/repeated/);
    expect(passwordWeakness("🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑")).toMatch(/repeated/);
    expect(passwordWeakness("            ")).toMatch(/spaces/);
  });

  it("accepts a password nobody else uses", () => {
    expect(passwordWeakness("correct horse battery staple 42")).toBeNull();
  });
});

describe("password hashing", () => {
  it("refuses with a busy error past a short queue instead of piling up argon2 work", async () => {
    const hash = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0000000000000000000000000000000000000000000";
    const checks = Array.from({ length: HASHING_CONCURRENCY + HASHING_QUEUE_MAX + 5 }, () =>
      verifyPassword(hash, "some password").then(
        () => "done",
        (error: unknown) => (error instanceof PasswordHashingBusyError ? "busy" : "other"),
      ),
    );
    const outcomes = await Promise.all(checks);
    expect(outcomes.filter((outcome) => outcome === "busy")).toHaveLength(5);
    expect(outcomes.filter((outcome) => outcome === "other")).toHaveLength(0);
  });
});
