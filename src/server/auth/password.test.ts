import { describe, expect, it } from "vitest";
import { HASHING_CONCURRENCY, HASHING_QUEUE_MAX, HASHING_QUEUE_PER_CLIENT, PasswordHashingBusyError, passwordWeakness, verifyPassword, withHashingSlot } from "./password";

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
    const checks = Array.from({ length: HASHING_CONCURRENCY + HASHING_QUEUE_MAX + 5 }, (_, index) =>
      verifyPassword(hash, "some password", `192.0.2.${index}`).then(
        () => "done",
        (error: unknown) => (error instanceof PasswordHashingBusyError ? "busy" : "other"),
      ),
    );
    const outcomes = await Promise.all(checks);
    expect(outcomes.filter((outcome) => outcome === "busy")).toHaveLength(5);
    expect(outcomes.filter((outcome) => outcome === "other")).toHaveLength(0);
  });

  it("serves waiting hashes in turn between client addresses, and caps what one address may queue", async () => {
    // The slots themselves, with work the test finishes one at a time: the order in which hashes start is the
    // property, and real hashes finish in an order the machine's load decides.
    const started: string[] = [];
    const finishers: (() => void)[] = [];
    const slot = (who: string) =>
      withHashingSlot(who, () => {
        started.push(who);
        return new Promise<void>((resolve) => finishers.push(resolve));
      }).then(
        () => `${who} done`,
        (error: unknown) => (error instanceof PasswordHashingBusyError ? `${who} busy` : `${who} other`),
      );
    // Eight sign-ups from one address, then one sign-in from another.
    const flood = Array.from({ length: 8 }, () => slot("198.51.100.1"));
    const other = slot("203.0.113.5");
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    await settle();
    while (finishers.length > 0) {
      finishers.shift()?.();
      await settle();
    }
    const outcomes = await Promise.all([...flood, other]);
    // The flood runs two at once and queues four; the other two are refused at once.
    expect(outcomes.filter((outcome) => outcome === "198.51.100.1 busy")).toHaveLength(8 - HASHING_CONCURRENCY - HASHING_QUEUE_PER_CLIENT);
    expect(outcomes.filter((outcome) => outcome.endsWith("done"))).toHaveLength(HASHING_CONCURRENCY + HASHING_QUEUE_PER_CLIENT + 1);
    // The other address starts right after the flood's first queued hash, not after all four.
    expect(started.indexOf("203.0.113.5")).toBe(HASHING_CONCURRENCY + 1);
  });
});
