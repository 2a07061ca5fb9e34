"use client";

import { useState } from "react";
import { RequestErrorMessage } from "~/components/request-error";
import { api } from "~/trpc/react";
import { getPasskeyAssertion, PasskeyCeremonyError } from "./passkey-client";
import { useSessionChangeNavigation } from "./use-session-change-navigation";

/** Sign in with a passkey instead of the email and password: the browser offers this site's passkeys. */
export function PasskeySignInButton({ next }: { next: string }) {
  const navigate = useSessionChangeNavigation();
  const signInOptions = api.passkeys.signInOptions.useMutation();
  const signIn = api.passkeys.signIn.useMutation({ onSuccess: () => navigate(next) });
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function onClick() {
    setFailure(null);
    setBusy(true);
    try {
      const options = await signInOptions.mutateAsync();
      await signIn.mutateAsync({ response: await getPasskeyAssertion(options, "required") });
    } catch (error) {
      setFailure(error);
      setBusy(false);
    }
  }

  return (
    <div className="stack" aria-busy={busy}>
      <button type="button" onClick={() => void onClick()} disabled={busy}>
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
