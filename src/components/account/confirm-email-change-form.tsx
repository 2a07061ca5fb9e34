"use client";

import Link from "next/link";
import { RequestErrorMessage } from "~/components/request-error";
import { api } from "~/trpc/react";

/** One click to confirm: a GET that changed the address on its own would be triggered by mail scanners prefetching links. */
export function ConfirmEmailChangeForm({ token }: { token: string }) {
  const confirm = api.account.confirmEmailChange.useMutation();
  if (confirm.isSuccess) {
    return (
      <div role="status">
        <p>
          Your email is now <strong>{confirm.data.email}</strong>. Sign in with it from now on.
        </p>
        <p>
          <Link href="/settings">Go to account settings</Link>
        </p>
      </div>
    );
  }
  return (
    <div className="stack">
      <p>Confirm that this email address is yours: your Carestral account will use it from now on.</p>
      {confirm.error && (
        <p className="form-error" role="alert">
          {confirm.error.data ? confirm.error.message : <RequestErrorMessage error={confirm.error} attempt="confirm your new email" />}
        </p>
      )}
      <p>
        <button type="button" className="primary" onClick={() => confirm.mutate({ token })} disabled={confirm.isPending}>
          Confirm new email
        </button>
      </p>
    </div>
  );
}
