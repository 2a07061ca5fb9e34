"use client";

import { useSessionChangeNavigation } from "~/components/auth/use-session-change-navigation";
import { RequestErrorMessage } from "~/components/request-error";
import { api } from "~/trpc/react";

/** "Not you?": signs out, then asks for another sign-in that comes back to `returnTo` (a path on this site). */
export function SwitchAccountButton({ returnTo }: { returnTo: string }) {
  const navigate = useSessionChangeNavigation();
  const signOut = api.auth.signOut.useMutation({ onSuccess: () => navigate(`/login?next=${encodeURIComponent(returnTo)}`) });
  return (
    <span>
      Not you?{" "}
      <button type="button" onClick={() => signOut.mutate()} disabled={signOut.isPending || signOut.isSuccess}>
        Switch account
      </button>
      {signOut.error && (
        <span className="form-error" role="alert">
          {" "}
          {signOut.error.data ? signOut.error.message : <RequestErrorMessage error={signOut.error} attempt="sign out" />}
        </span>
      )}
    </span>
  );
}
