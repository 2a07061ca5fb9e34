import { TRPCError } from "@trpc/server";
import { expect } from "vitest";

/** Awaits a call that must fail with a TRPCError of `code`, its message matching `message` when given; returns the error. */
export async function expectTRPCError(promise: Promise<unknown>, code: TRPCError["code"], message?: RegExp): Promise<TRPCError> {
  const error = await promise.then(
    () => new Error("expected the call to fail"),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TRPCError);
  const trpcError = error as TRPCError;
  expect(trpcError.code).toBe(code);
  if (message) expect(trpcError.message).toMatch(message);
  return trpcError;
}
