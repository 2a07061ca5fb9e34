"use client";

import { RequestErrorMessage } from "~/components/request-error";
import { api } from "~/trpc/react";
import { useSessionChangeNavigation } from "./use-session-change-navigation";

export function SignOutButton() {
  const navigate = useSessionChangeNavigation();
  const signOut = api.auth.signOut.useMutation({ onSuccess: () => navigate("/") });
  return (
    <>
      <button type="button" onClick={() => signOut.mutate()} disabled={signOut.isPending || signOut.isSuccess}>
        Sign out
      </button>
      {signOut.error && (
        <span className="form-error" role="alert">
          {signOut.error.data ? signOut.error.message : <RequestErrorMessage error={signOut.error} attempt="sign out" />}
        </span>
      )}
    </>
  );
}
