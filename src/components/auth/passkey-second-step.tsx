"use client";

import Link from "next/link";
import { useState } from "react";
import { RequestErrorMessage } from "~/components/request-error";
import { api } from "~/trpc/react";
import { getPasskeyAssertion, PasskeyCeremonyError } from "./passkey-client";
import { useSessionChangeNavigation } from "./use-session-change-navigation";

/**
 * The two-factor step with one of the account's passkeys: the browser offers only those (the server names them),
 * signs a challenge made for this pending sign-in's account, and the session begins.
 */
export function PasskeySecondStep({ signInAgainPath, autoFocus = false }: { signInAgainPath: string; autoFocus?: boolean }) {
  const navigate = useSessionChangeNavigation();
  const options = api.twoFactor.passkeyOptions.useMutation();
  const verify = api.twoFactor.verifySignInWithPasskey.useMutation({ onSuccess: (result) => navigate(result.next) });
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const expired = (options.error ?? verify.error)?.data?.code === "UNAUTHORIZED";

  async function onClick() {
    setFailure(null);
    options.reset();
    verify.reset();
    setBusy(true);
    try {
      const request = await options.mutateAsync();
      await verify.mutateAsync({ response: await getPasskeyAssertion(request, "preferred") });
    } catch (error) {
      setFailure(error);
      setBusy(false);
    }
  }

  return (
    <div className="stack" aria-busy={busy}>
      <p>
        <button type="button" className="primary" onClick={() => void onClick()} disabled={busy} autoFocus={autoFocus}>
          Use a passkey
        </button>
      </p>
      {failure !== null && (
        <p className="form-error" role="alert">
          {failure instanceof PasskeyCeremonyError ? (
            failure.message
          ) : expired ? (
            // The pending sign-in is gone (used, or past its ten minutes): start over, not "your session has ended".
            <>
              {(options.error ?? verify.error)?.message} <Link href={signInAgainPath}>Sign in</Link>
            </>
          ) : (
            <RequestErrorMessage error={failure} attempt="check the passkey" />
          )}
        </p>
      )}
    </div>
  );
}
