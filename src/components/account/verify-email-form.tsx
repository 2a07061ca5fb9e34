"use client";

import Link from "next/link";
import { RequestErrorMessage } from "~/components/request-error";
import { api } from "~/trpc/react";

/** One click to confirm: a GET that verified on its own would be triggered by mail scanners prefetching links. */
export function VerifyEmailForm({ token }: { token: string }) {
  const verify = api.account.verifyEmail.useMutation();
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
