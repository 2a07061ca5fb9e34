"use client";

import Link from "next/link";
import { classifyRequestError, RequestErrorMessage } from "~/components/request-error";
import { api } from "~/trpc/react";
import { PasskeyCeremonyError } from "./passkey-client";
import { usePasskeyAssertion } from "./use-passkey-assertion";
import { useSessionChangeNavigation } from "./use-session-change-navigation";

/**
 * The two-factor step with one of the account's passkeys: the browser offers only those (the server names them),
 * signs a challenge made for this pending sign-in's account, and the session begins.
 */
export function PasskeySecondStep({ signInAgainPath, autoFocus = false }: { signInAgainPath: string; autoFocus?: boolean }) {
  const navigate = useSessionChangeNavigation();
  const options = api.twoFactor.passkeyOptions.useMutation();
  const verify = api.twoFactor.verifySignInWithPasskey.useMutation({ onSuccess: (result) => navigate(result.next) });
  const { start, busy, failure } = usePasskeyAssertion({
    options: () => options.mutateAsync(),
    verify: (response) => verify.mutateAsync({ response }),
    userVerification: "preferred",
  });
  // The pending sign-in is gone (used, or past its ten minutes): start over, not "your session has ended".
  const expired = classifyRequestError(failure).kind === "signed-out";

  return (
    <div className="stack" aria-busy={busy}>
      <p>
        <button type="button" className="primary" onClick={() => void start()} disabled={busy} autoFocus={autoFocus}>
          Use a passkey
        </button>
      </p>
      {failure !== null && (
        <p className="form-error" role="alert">
          {failure instanceof PasskeyCeremonyError ? (
            failure.message
          ) : expired ? (
            <>
              {(failure as Error).message} <Link href={signInAgainPath}>Sign in</Link>
            </>
          ) : (
            <RequestErrorMessage error={failure} attempt="check the passkey" />
          )}
        </p>
      )}
    </div>
  );
}
