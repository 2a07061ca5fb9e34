"use client";

import Link from "next/link";
import { useRef, useState, type FormEvent } from "react";
import { useFocusFirstError } from "~/components/use-focus-first-error";
import { RequestErrorMessage } from "~/components/request-error";
import { api } from "~/trpc/react";
import { FormField } from "./form-field";
import { useSessionChangeNavigation } from "./use-session-change-navigation";

/**
 * The second step of signing in: a code from the authenticator app, or (`method`) a recovery code. `signInAgainPath`
 * is where an expired sign-in starts over, keeping where it was going.
 */
export function TwoFactorForm({ method, signInAgainPath }: { method: "totp" | "recovery-code"; signInAgainPath: string }) {
  const navigate = useSessionChangeNavigation();
  const [signedIn, setSignedIn] = useState<{ next: string; left: number } | null>(null);
  const withApp = api.twoFactor.verifySignIn.useMutation({ onSuccess: (result) => navigate(result.next) });
  const withRecoveryCode = api.twoFactor.verifySignInWithRecoveryCode.useMutation({
    // Stay a moment: the person needs to know a code is spent, and how many are left.
    onSuccess: (result) => setSignedIn({ next: result.next, left: result.recoveryCodesLeft }),
  });
  const verify = method === "totp" ? withApp : withRecoveryCode;
  const formRef = useRef<HTMLFormElement>(null);
  const fieldErrors: Partial<Record<string, string[]>> | undefined = verify.error?.data?.zodError?.fieldErrors;
  const expired = verify.error?.data?.code === "UNAUTHORIZED";
  useFocusFirstError(formRef, verify.error, "#code");
  const busy = verify.isPending || verify.isSuccess;

  if (signedIn) {
    return (
      <div className="stack">
        <p role="status">
          Signed in with a recovery code. You have {signedIn.left} recovery code{signedIn.left === 1 ? "" : "s"} left.
          {signedIn.left <= 3 && " Make new ones in your account settings before you run out."}
        </p>
        <p>
          <button type="button" className="primary" onClick={() => navigate(signedIn.next)}>
            Continue
          </button>
        </p>
      </div>
    );
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    verify.mutate({ code: String(new FormData(event.currentTarget).get("code") ?? "") });
  }

  return (
    <form ref={formRef} method="post" className="stack" onSubmit={onSubmit} noValidate aria-busy={busy}>
      {method === "totp" ? (
        <FormField
          id="code"
          label="Code"
          type="text"
          inputMode="numeric"
          autoComplete="one-time-code"
          required
          autoFocus
          hint="The 6-digit code your authenticator app shows for Carestral."
          error={fieldErrors?.code?.[0]}
        />
      ) : (
        <FormField
          id="code"
          label="Recovery code"
          type="text"
          autoComplete="off"
          spellCheck={false}
          required
          autoFocus
          hint="One of the codes you saved when you turned two-factor authentication on, like abcd-efgh-ijkl-mnop."
          error={fieldErrors?.code?.[0]}
        />
      )}
      {verify.error && !fieldErrors && (
        <p className="form-error" role="alert">
          {verify.error.data ? verify.error.message : <RequestErrorMessage error={verify.error} attempt="check the code" />}
          {expired && (
            <>
              {" "}
              <Link href={signInAgainPath}>Sign in</Link>
            </>
          )}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy}>
        Verify
      </button>
    </form>
  );
}
