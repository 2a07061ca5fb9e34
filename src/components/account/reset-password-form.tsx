"use client";

import Link from "next/link";
import type { FormEvent } from "react";
import { FormField } from "~/components/auth/form-field";
import { RequestErrorMessage } from "~/components/request-error";
import { api } from "~/trpc/react";
import { describeRevokedAccess } from "./revoked-access";

/** `signInHref`: the sign-in page, leading afterwards where the reset link came from (e.g. an app's consent page). */
export function ResetPasswordForm({ token, signInHref, passwordHint }: { token: string; signInHref: string; passwordHint: string }) {
  const reset = api.account.resetPassword.useMutation();
  const fieldErrors: Partial<Record<string, string[]>> | undefined = reset.error?.data?.zodError?.fieldErrors;

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    reset.mutate({ token, password: String(form.get("password") ?? "") });
  }

  if (reset.isSuccess) {
    return (
      <div role="status">
        <p>Your password is changed. {describeRevokedAccess(reset.data.revoked)}</p>
        <p className="muted">Create new tokens and connect your apps again once you are signed in.</p>
        <p>
          <Link className="button primary" href={signInHref}>
            Sign in
          </Link>
        </p>
      </div>
    );
  }
  return (
    // method="post": should the script not run, the browser posts the form (nothing happens) instead of
    // putting the new password in the address bar.
    <form method="post" className="stack" onSubmit={onSubmit} noValidate aria-busy={reset.isPending}>
      <p>
        A new password set here signs out every session of the account and revokes every API token and connected app, so that no
        one else keeps access to it.
      </p>
      <FormField
        id="password"
        label="New password"
        type="password"
        autoComplete="new-password"
        required
        hint={passwordHint}
        error={fieldErrors?.password?.[0]}
      />
      {reset.error && !fieldErrors?.password && (
        <p className="form-error" role="alert">
          {reset.error.data ? reset.error.message : <RequestErrorMessage error={reset.error} attempt="set the new password" />}
        </p>
      )}
      <button type="submit" className="primary" disabled={reset.isPending}>
        Set new password
      </button>
    </form>
  );
}
