import { describe, expect, it } from "vitest";
import { batchedLookup } from "./batched-lookup";

function recordingLookup(values: Record<string, string>) {
  const loads: string[][] = [];
  const lookup = batchedLookup(async (keys: string[]) => {
    loads.push(keys);
    return new Map(keys.filter((key) => key in values).map((key) => [key, values[key] ?? ""]));
  });
  return { lookup, loads };
}

describe("batchedLookup", () => {
  it("answers the lookups of one turn with one load, each with its own key's value", async () => {
    const { lookup, loads } = recordingLookup({ a: "alice", b: "bob" });
    const answers = await Promise.all([lookup("a"), lookup("b"), lookup("missing"), lookup("a"), lookup("b")]);
    expect(answers).toEqual(["alice", "bob", undefined, "alice", "bob"]);
    expect(loads).toEqual([["a", "b", "missing"]]);
  });

  it("caches nothing: a later turn loads again and sees the new value", async () => {
    const values: Record<string, string> = { a: "before" };
    const { lookup, loads } = recordingLookup(values);
    expect(await lookup("a")).toBe("before");
    values.a = "after";
    expect(await lookup("a")).toBe("after");
    expect(loads).toEqual([["a"], ["a"]]);
  });

  it("starts each load after every lookup of its batch was asked for", async () => {
    const events: string[] = [];
    const lookup = batchedLookup(async (keys: string[]) => {
      events.push(`load ${keys.join(",")}`);
      return new Map(keys.map((key) => [key, key]));
    });
    const first = lookup("a").then(() => events.push("a answered"));
    events.push("b asked");
    const second = lookup("b").then(() => events.push("b answered"));
    await Promise.all([first, second]);
    expect(events).toEqual(["b asked", "load a,b", "a answered", "b answered"]);
  });

  it("rejects every lookup of a failed batch, and only those", async () => {
    let fail = true;
    const lookup = batchedLookup(async (keys: string[]) => {
      if (fail) throw new Error("database down");
      return new Map(keys.map((key) => [key, key]));
    });
    const failed = await Promise.allSettled([lookup("a"), lookup("b")]);
    expect(failed.map((result) => result.status)).toEqual(["rejected", "rejected"]);
    fail = false;
    expect(await lookup("a")).toBe("a");
  });
});
