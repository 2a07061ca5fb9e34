"use client";

import { RequestErrorMessage } from "~/components/request-error";
import { api } from "~/trpc/react";
import { PasskeyCeremonyError } from "./passkey-client";
import { usePasskeyAssertion } from "./use-passkey-assertion";
import { useSessionChangeNavigation } from "./use-session-change-navigation";

/** Sign in with a passkey instead of the email and password: the browser offers this site's passkeys. */
export function PasskeySignInButton({ next }: { next: string }) {
  const navigate = useSessionChangeNavigation();
  const signInOptions = api.passkeys.signInOptions.useMutation();
  const signIn = api.passkeys.signIn.useMutation({ onSuccess: () => navigate(next) });
  const { start, busy, failure } = usePasskeyAssertion({
    options: () => signInOptions.mutateAsync(),
    verify: (response) => signIn.mutateAsync({ response }),
    userVerification: "required",
  });

  return (
    <div className="stack" aria-busy={busy}>
      <button type="button" onClick={() => void start()} disabled={busy}>
        Sign in with a passkey
      </button>
      {failure !== null && (
        <p className="form-error" role="alert">
          {failure instanceof PasskeyCeremonyError ? failure.message : <RequestErrorMessage error={failure} attempt="sign in with a passkey" />}
        </p>
      )}
    </div>
  );
}
