"use client";

import { useState } from "react";
import { formatDateTime } from "~/components/format";
import { useTimeZone } from "~/components/time-zone";
import { RequestErrorAlert } from "~/components/request-error";
import { NewTokenPanel } from "~/components/tokens/new-token-panel";
import type { GeneratedToken } from "~/components/tokens/create-token-form";
import { api } from "~/trpc/react";

/**
 * Option A migration: shown to a person whose old-system JWTs were used in the last 30 days. One click makes a
 * personal token with the same scopes, shown once, to paste where the JWT was.
 */
export function LegacyJwtNotice({ appUrl }: { appUrl: string }) {
  const timeZone = useTimeZone();
  const utils = api.useUtils();
  const recent = api.legacyJwt.recentUse.useQuery();
  const [created, setCreated] = useState<GeneratedToken | null>(null);
  const replace = api.legacyJwt.replace.useMutation({
    // The plaintext must not linger in the mutation cache once the panel that shows it is gone.
    gcTime: 0,
    onSuccess(token) {
      setCreated(token);
      replace.reset();
      void utils.tokens.list.invalidate();
    },
  });

  if (created) return <NewTokenPanel created={created} appUrl={appUrl} onDone={() => setCreated(null)} />;
  if (!recent.data) return null;
  return (
    <section className="warning" aria-labelledby="legacy-jwt-heading">
      <h2 id="legacy-jwt-heading">An assistant still uses an old JWT</h2>
      <p>
        A token from the system Carestral replaced (a JWT) was last used {formatDateTime(recent.data.lastUsedAt, timeZone)}. JWTs
        stop working when the migration ends: replace it with a personal access token now.
      </p>
      <button type="button" className="primary" disabled={replace.isPending} onClick={() => replace.mutate()}>
        {replace.isPending ? "Creating…" : "Create a replacement token"}
      </button>
      {replace.error && <RequestErrorAlert error={replace.error} attempt="create the replacement token" />}
    </section>
  );
}
