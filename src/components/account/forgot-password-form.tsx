"use client";

import type { FormEvent } from "react";
import { FormField } from "~/components/auth/form-field";
import { RequestErrorMessage } from "~/components/request-error";
import { api } from "~/trpc/react";

/** `next`: where signing in leads after the reset (already validated); the mailed link keeps it. */
export function ForgotPasswordForm({ next }: { next: string }) {
  const request = api.account.requestPasswordReset.useMutation();
  const fieldErrors: Partial<Record<string, string[]>> | undefined = request.error?.data?.zodError?.fieldErrors;

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    request.mutate({ email: String(form.get("email") ?? ""), next });
  }

  if (request.isSuccess) {
    return (
      <p className="card" role="status">
        {request.data.message}
      </p>
    );
  }
  return (
    // method="post": should the script not run, the browser posts the form (nothing happens) instead of
    // putting the email in the address bar.
    <form method="post" className="stack" onSubmit={onSubmit} noValidate aria-busy={request.isPending}>
      <FormField id="email" label="Email" type="email" autoComplete="email" required error={fieldErrors?.email?.[0]} />
      {request.error && !fieldErrors && (
        <p className="form-error" role="alert">
          {request.error.data ? request.error.message : <RequestErrorMessage error={request.error} attempt="send the reset link" />}
        </p>
      )}
      <button type="submit" className="primary" disabled={request.isPending}>
        Send reset link
      </button>
    </form>
  );
}
