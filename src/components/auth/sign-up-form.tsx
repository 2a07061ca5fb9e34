"use client";

import Link from "next/link";
import { useRef, type FormEvent } from "react";
import { useFocusFirstError } from "~/components/use-focus-first-error";
import { RequestErrorMessage } from "~/components/request-error";
import { api } from "~/trpc/react";
import { FormField } from "./form-field";
import { useSessionChangeNavigation } from "./use-session-change-navigation";

/** `next`: where the new account lands (already validated); `signInHref`: the sign-in page, leading there too. */
export function SignUpForm({ next, signInHref }: { next: string; signInHref: string }) {
  const navigate = useSessionChangeNavigation();
  // With mail configured the answer is "check your email", whether or not the address already has an account.
  const signUp = api.auth.signUp.useMutation({ onSuccess: (result) => !("checkEmail" in result) && navigate(next) });

  // The formatter types these loosely ({}); they are keyed by input field.
  const fieldErrors: Partial<Record<string, string[]>> | undefined = signUp.error?.data?.zodError?.fieldErrors;
  const emailTaken = signUp.error?.data?.code === "CONFLICT";
  const isFieldError = Boolean(fieldErrors) || emailTaken;
  const busy = signUp.isPending || signUp.isSuccess;
  const checkEmail = signUp.data && "checkEmail" in signUp.data ? signUp.data.email : null;
  const formRef = useRef<HTMLFormElement>(null);
  useFocusFirstError(formRef, signUp.error);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    signUp.mutate({
      email: String(form.get("email") ?? ""),
      firstname: String(form.get("firstname") ?? ""),
      surname: String(form.get("surname") ?? ""),
      password: String(form.get("password") ?? ""),
      next,
    });
  }

  if (checkEmail) {
    return (
      <div role="status" className="stack">
        <h2>Check your email</h2>
        <p>
          We sent a link to <strong>{checkEmail}</strong>. Follow it within 48 hours to confirm the address and sign in: until then, the
          account cannot be used.
        </p>
        <p className="muted">
          If this address already has an account, its owner got an email instead, saying how to reset the password. Nothing here tells
          which.
        </p>
      </div>
    );
  }

  return (
    // noValidate: our own messages, next to each field, rather than the browser's bubbles.
    // method="post": without the script, the browser posts (the password stays out of the address bar).
    <form ref={formRef} method="post" className="stack" onSubmit={onSubmit} noValidate aria-busy={busy}>
      <FormField
        id="email"
        label="Email"
        type="email"
        autoComplete="email"
        required
        error={
          emailTaken ? (
            <>
              An account with this email already exists.{" "}
              <Link href={signInHref}>Sign in instead?</Link>
            </>
          ) : (
            fieldErrors?.email?.[0]
          )
        }
      />
      <FormField id="firstname" label="First name" type="text" autoComplete="given-name" required error={fieldErrors?.firstname?.[0]} />
      <FormField id="surname" label="Surname" type="text" autoComplete="family-name" required error={fieldErrors?.surname?.[0]} />
      <FormField
        id="password"
        label="Password"
        type="password"
        autoComplete="new-password"
        required
        hint="At least 10 characters."
        error={fieldErrors?.password?.[0]}
      />
      {signUp.error && !isFieldError && (
        <p className="form-error" role="alert">
          {signUp.error.data ? signUp.error.message : <RequestErrorMessage error={signUp.error} attempt="create your account" />}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy}>
        Create account
      </button>
    </form>
  );
}
