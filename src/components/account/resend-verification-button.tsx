"use client";

import { RequestErrorAlert } from "~/components/request-error";
import { api } from "~/trpc/react";

export function ResendVerificationButton() {
  const resend = api.account.resendVerification.useMutation();
  return (
    <>
      <button type="button" onClick={() => resend.mutate()} disabled={resend.isPending}>
        Resend
      </button>
      <span role="status">
        {resend.data?.sent && "Sent. Check your inbox."}
        {resend.data?.alreadyVerified && "Your email is already confirmed."}
      </span>
      {resend.error && <RequestErrorAlert error={resend.error} attempt="send the link again" inline />}
    </>
  );
}
