"use client";

import { useState } from "react";
import type { PasskeyRequestOptions } from "~/server/api/routers/passkeys";
import type { AssertionResponse } from "~/server/auth/passkeys";
import { getPasskeyAssertion } from "./passkey-client";

/**
 * Signing with a passkey, as sign-in, the two-factor step and Confirm access each ask for it: the server's
 * options, the browser's prompt, the server's check. `busy` holds from the click through the browser's prompt
 * until the check fails, and stays after it succeeds (the page moves on; `reset` clears it for a prompt that
 * stays mounted). `failure` is what stopped it: a PasskeyCeremonyError in words for the person, or the
 * request's error.
 */
export function usePasskeyAssertion({
  options,
  verify,
  userVerification,
}: {
  options: () => Promise<PasskeyRequestOptions>;
  verify: (response: AssertionResponse) => Promise<unknown>;
  userVerification: UserVerificationRequirement;
}) {
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function start() {
    setFailure(null);
    setBusy(true);
    try {
      await verify(await getPasskeyAssertion(await options(), userVerification));
    } catch (error) {
      setFailure(error);
      setBusy(false);
    }
  }

  function reset() {
    setFailure(null);
    setBusy(false);
  }

  return { start, busy, failure, reset };
}
