"use client";

import Link from "next/link";
import { RequestErrorMessage } from "~/components/request-error";
import { useSessionChangeNavigation } from "~/components/auth/use-session-change-navigation";
import { api } from "~/trpc/react";

/** One click to confirm: a GET that verified on its own would be triggered by mail scanners prefetching links. */
export function VerifyEmailForm({ token, next }: { token: string; next: string }) {
  const navigate = useSessionChangeNavigation();
  // A confirmation at sign-up is also the first sign-in: on to where the person was going.
  const verify = api.account.verifyEmail.useMutation({ onSuccess: (result) => result.signedIn && navigate(next) });
  if (verify.isSuccess && verify.data.signedIn) return <p role="status">Your email is confirmed. Signing you in…</p>;
  if (verify.isSuccess) {
    return (
      <div role="status">
        <p>Your email is confirmed. Thank you.</p>
        <p>
          <Link href="/dashboard/tokens">Go to dashboard</Link>
        </p>
      </div>
    );
  }
  return (
    <div className="stack">
      <p>Confirm that this email address is yours.</p>
      {verify.error && (
        <p className="form-error" role="alert">
          {verify.error.data ? verify.error.message : <RequestErrorMessage error={verify.error} attempt="confirm your email" />}
        </p>
      )}
      <p>
        <button type="button" className="primary" onClick={() => verify.mutate({ token })} disabled={verify.isPending}>
          Verify email
        </button>
      </p>
    </div>
  );
}
