"use client";

import { useRouter } from "next/navigation";
import { useRef, type FormEvent } from "react";
import { useFocusFirstError } from "~/components/use-focus-first-error";
import { RequestErrorMessage } from "~/components/request-error";
import { api } from "~/trpc/react";
import { FormField } from "./form-field";
import { useSessionChangeNavigation } from "./use-session-change-navigation";

/** `twoFactorPath`: the two-factor step, carrying `next` (the page builds it: server/auth/redirect.ts). */
export function SignInForm({ next, twoFactorPath }: { next: string; twoFactorPath: string }) {
  const navigate = useSessionChangeNavigation();
  const router = useRouter();
  // With a second factor on, the password only opens the two-factor step (which keeps `next` server side, and in
  // its address for when the step has expired).
  const signIn = api.auth.signIn.useMutation({
    onSuccess: (result) => ("secondFactorRequired" in result ? router.push(twoFactorPath) : navigate(next)),
  });

  // The formatter types these loosely ({}); they are keyed by input field.
  const fieldErrors: Partial<Record<string, string[]>> | undefined = signIn.error?.data?.zodError?.fieldErrors;
  const busy = signIn.isPending || signIn.isSuccess;
  const formRef = useRef<HTMLFormElement>(null);
  // Wrong credentials mark no field: the password is what to type again.
  useFocusFirstError(formRef, signIn.error, "#password");

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    signIn.mutate({ email: String(form.get("email") ?? ""), password: String(form.get("password") ?? ""), next });
  }

  return (
    // method="post": without the script, the browser posts (the password stays out of the address bar).
    <form ref={formRef} method="post" className="stack" onSubmit={onSubmit} noValidate aria-busy={busy}>
      <FormField id="email" label="Email" type="email" autoComplete="email" required error={fieldErrors?.email?.[0]} />
      <FormField id="password" label="Password" type="password" autoComplete="current-password" required error={fieldErrors?.password?.[0]} />
      {/* Wrong credentials belong to both fields at once, so they are said once, for the form. */}
      {signIn.error && !fieldErrors && (
        <p className="form-error" role="alert">
          {signIn.error.data ? signIn.error.message : <RequestErrorMessage error={signIn.error} attempt="sign in" />}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy}>
        Sign in
      </button>
    </form>
  );
}
