"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { ConfirmDialog } from "~/components/confirm-dialog";
import { LoadFailure, RequestErrorAlert } from "~/components/request-error";
import { api, type RouterOutputs } from "~/trpc/react";
import type { GeneratedToken } from "./create-token-form";
import { displayPrefix, expiresSoon, formatDate, formatDateTime, formatRelative } from "~/components/format";
import { REGENERATE_OVERLAPS, TOKEN_EXPIRY_DAYS, type RegenerateOverlap } from "~/server/tokens/schemas";
import { useTimeZone } from "~/components/time-zone";
import { useNow } from "~/components/use-now";
import { ExpirationField, expirationDays, type ExpirationChoice } from "./expiration-field";
import { NewTokenPanel } from "./new-token-panel";
import { RevokeTokenDialog } from "./revoke-token-dialog";
import styles from "../activity/activity.module.css";

type TokenDetailsData = RouterOutputs["tokens"]["get"];

const STATUS_LABELS: Record<TokenDetailsData["status"], string> = { active: "Active", expired: "Expired", revoked: "Revoked" };

/**
 * The page's heading, and the warning when the token was found in public. The page fetched the token on the
 * server; if that failed, the heading says "Token" until TokenDetails has loaded it in the browser.
 */
export function TokenHeading({ tokenId }: { tokenId: string }) {
  const token = api.tokens.get.useQuery({ id: tokenId });
  const timeZone = useTimeZone();
  const foundPublic = token.data?.foundPublic;
  return (
    <>
      <h1>{token.data?.name ?? "Token"}</h1>
      {foundPublic && (
        <p className="warning">
          <strong>Found in public, revoked.</strong> Secret {foundPublic.prefix}… was reported by GitHub secret scanning
          {foundPublic.source ? ` (${foundPublic.source})` : ""} and revoked on {formatDateTime(foundPublic.at, timeZone)}
          {foundPublic.url ? (
            <>
              {" "}
              where it was found: <a href={foundPublic.url} rel="noreferrer noopener">{foundPublic.url}</a>
            </>
          ) : null}
          . Remove it from there, and create a new token for whatever used it.
        </p>
      )}
    </>
  );
}

/** A token's settings, its Description, and Regenerate. */
export function TokenDetails({ tokenId, appUrl }: { tokenId: string; appUrl: string }) {
  const router = useRouter();
  const token = api.tokens.get.useQuery({ id: tokenId });
  const [regenerated, setRegenerated] = useState<GeneratedToken | null>(null);
  const [notice, setNotice] = useState("");
  const timeZone = useTimeZone();

  if (regenerated) {
    return (
      <NewTokenPanel
        created={regenerated}
        regenerated
        appUrl={appUrl}
        onDone={() => {
          setRegenerated(null);
          router.push(`/dashboard/tokens/${regenerated.id}`);
        }}
      />
    );
  }
  if (token.isPending) return <p role="status">Loading the token…</p>;
  if (token.isError) {
    return <LoadFailure error={token.error} attempt="load the token" onRetry={() => void token.refetch()} retrying={token.isFetching} />;
  }
  const data = token.data;
  return (
    <>
      <section className="card" aria-labelledby="settings-heading">
        <h2 id="settings-heading" tabIndex={-1}>
          Settings
        </h2>
        <dl className={styles.settings}>
          <dt>Status</dt>
          <dd>
            <span className={`status ${data.status}`}>{STATUS_LABELS[data.status]}</span>
            {data.revokedAt && <span className="muted"> since {formatDateTime(data.revokedAt, timeZone)}</span>}
          </dd>
          <dt>Prefix</dt>
          <dd>
            <code>{displayPrefix(data.prefix)}</code>
          </dd>
          <dt>Scopes</dt>
          <dd>{data.scopes.join(", ")}</dd>
          <dt>Created</dt>
          <dd>{formatDateTime(data.createdAt, timeZone)}</dd>
          <dt>Expires</dt>
          <dd>
            {data.expiresAt ? formatDate(data.expiresAt, timeZone) : "Never"}
            {data.expiresInDays !== null && <span className="muted"> ({data.expiresInDays}-day lifetime)</span>}
            {data.status === "active" && data.expiresAt && expiresSoon(data.expiresAt, new Date(), timeZone) && (
              <strong> · {expiresSoon(data.expiresAt, new Date(), timeZone)}</strong>
            )}
          </dd>
          {data.previousSecret && (
            <>
              <dt>Previous secret</dt>
              <dd>
                <code>{displayPrefix(data.previousSecret.prefix)}</code> keeps working until{" "}
                <time dateTime={data.previousSecret.worksUntil.toISOString()}>{formatDateTime(data.previousSecret.worksUntil, timeZone)}</time>
              </dd>
            </>
          )}
          <dt>Last used</dt>
          <dd>{data.lastUsedAt ? <time dateTime={data.lastUsedAt.toISOString()} title={formatDateTime(data.lastUsedAt, timeZone)}>{formatRelative(data.lastUsedAt)}</time> : "Never"}</dd>
        </dl>
      </section>
      <p role="status">{notice}</p>
      <DescriptionForm tokenId={tokenId} description={data.description} />
      {data.status === "active" && <ExpiryForm token={data} />}
      {data.status !== "revoked" && <RegenerateSection token={data} onRegenerated={setRegenerated} />}
      {data.status !== "revoked" && (
        <RevokeSection token={data} onRevoked={() => setNotice(`Token “${data.name}” revoked: its next request is refused.`)} />
      )}
      {data.status === "revoked" && (
        <p className="muted">
          This token no longer works. <Link href="/dashboard/tokens">Create a new token</Link> if an assistant still needs access.
        </p>
      )}
    </>
  );
}

/** Revoke on the token's own page, with the list's dialog; the page stays and shows the token as revoked. */
function RevokeSection({ token, onRevoked }: { token: TokenDetailsData; onRevoked(): void }) {
  const utils = api.useUtils();
  const [confirming, setConfirming] = useState(false);
  const revoke = api.tokens.revoke.useMutation({
    async onSuccess() {
      await utils.tokens.invalidate();
      onRevoked();
      // The settings card now reads Revoked; say so where focus lands.
      document.getElementById("settings-heading")?.focus();
    },
  });
  return (
    <section className="card" aria-labelledby="revoke-heading">
      <h2 id="revoke-heading">Revoke</h2>
      <p>Ends every secret of this token at once; any assistant using it is refused from its next request. This cannot be undone.</p>
      {revoke.error && <RequestErrorAlert error={revoke.error} attempt={`revoke “${token.name}”`} />}
      <button type="button" className="danger" onClick={() => setConfirming(true)} disabled={revoke.isPending}>
        Revoke
      </button>
      <RevokeTokenDialog
        token={confirming ? token : null}
        onCancel={() => setConfirming(false)}
        onConfirm={({ id }) => {
          setConfirming(false);
          revoke.mutate({ id });
        }}
      />
    </section>
  );
}

/** A new expiry for an active token, from now; the secret stays (GitHub's fine-grained token edit). */
function ExpiryForm({ token }: { token: TokenDetailsData }) {
  const utils = api.useUtils();
  const now = useNow(60_000);
  const timeZone = useTimeZone();
  const [choice, setChoice] = useState<ExpirationChoice>({ option: "30", customDate: "" });
  const [localError, setLocalError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const save = api.tokens.setExpiry.useMutation({
    onSuccess(updated) {
      utils.tokens.get.setData({ id: token.id }, updated);
      void utils.tokens.list.invalidate();
      setSaved(true);
    },
  });
  const serverErrors: Partial<Record<string, string[]>> | undefined = save.error?.data?.zodError?.fieldErrors;
  const error = localError ?? serverErrors?.expiresInDays?.[0];
  return (
    <form
      method="post"
      className="card stack"
      aria-labelledby="expiry-heading"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        setSaved(false);
        const lifetime = expirationDays(choice, new Date(), timeZone);
        if ("error" in lifetime) {
          setLocalError(lifetime.error);
          return;
        }
        setLocalError(null);
        save.mutate({ id: token.id, expiresInDays: lifetime.days });
      }}
    >
      <h2 id="expiry-heading">Change expiration</h2>
      <p className="muted">
        The same secret keeps working until the new date, counted from now. To change its scopes, create a new token or
        Regenerate.
      </p>
      <ExpirationField
        id="token-new-expiration"
        label="New expiration"
        expiryDays={TOKEN_EXPIRY_DAYS}
        choice={choice}
        onChange={(next) => {
          setChoice(next);
          setLocalError(null);
          setSaved(false);
          save.reset();
        }}
        error={error}
        now={now}
      />
      {save.error && !serverErrors?.expiresInDays && <RequestErrorAlert error={save.error} attempt="change the expiration" />}
      <p className="actions">
        <button type="submit" disabled={save.isPending}>
          Save expiration
        </button>
        <span role="status">{saved ? `Saved: ${token.expiresAt ? `expires ${formatDate(token.expiresAt, timeZone)}` : "never expires"}` : ""}</span>
      </p>
    </form>
  );
}

function DescriptionForm({ tokenId, description }: { tokenId: string; description: string | null }) {
  const utils = api.useUtils();
  const [value, setValue] = useState(description ?? "");
  const [saved, setSaved] = useState(false);
  const save = api.tokens.setDescription.useMutation({
    onSuccess(token) {
      utils.tokens.get.setData({ id: tokenId }, token);
      setSaved(true);
    },
  });
  const fieldErrors: Partial<Record<string, string[]>> | undefined = save.error?.data?.zodError?.fieldErrors;
  const fieldError = fieldErrors?.description?.[0];
  return (
    <form
      className="card stack"
      onSubmit={(event) => {
        event.preventDefault();
        setSaved(false);
        save.mutate({ id: tokenId, description: value });
      }}
    >
      <label>
        Description
        <textarea
          value={value}
          rows={2}
          maxLength={500}
          aria-invalid={fieldError ? true : undefined}
          aria-describedby="description-hint"
          onChange={(event) => {
            setValue(event.target.value);
            setSaved(false);
          }}
        />
      </label>
      <p id="description-hint" className="muted">
        Optional: what this token is for, e.g. “Claude Desktop on my laptop”.
      </p>
      {fieldError && <p className="field-error">{fieldError}</p>}
      {save.error && !fieldError && (
        <RequestErrorAlert error={save.error} attempt="save the description" />
      )}
      <p className="actions">
        <button type="submit" disabled={save.isPending}>
          Save description
        </button>
        <span role="status">{saved ? "Saved" : ""}</span>
      </p>
    </form>
  );
}

function RegenerateSection({ token, onRegenerated }: { token: TokenDetailsData; onRegenerated(created: GeneratedToken): void }) {
  const utils = api.useUtils();
  const [confirming, setConfirming] = useState(false);
  const [overlap, setOverlap] = useState<RegenerateOverlap>("none");
  const expired = token.status === "expired";
  const regenerate = api.tokens.regenerate.useMutation({
    onSuccess(created) {
      void utils.tokens.invalidate();
      onRegenerated(created);
    },
  });

  return (
    <section className="card" aria-labelledby="regenerate-heading">
      <h2 id="regenerate-heading">Regenerate</h2>
      <p>
        {expired
          ? "This token has expired. Regenerate it to get a new secret with the same name, scopes, description and lifetime, counted from now; its page and history stay."
          : "Makes a new secret for this token, with the same name, scopes, description and lifetime; its page and history stay. Use it if the token may have leaked, or to rotate it; then paste the new one into your assistant."}
      </p>
      {!expired && (
        <fieldset className="stack">
          <legend>The current secret</legend>
          {(Object.keys(REGENERATE_OVERLAPS) as RegenerateOverlap[]).map((value) => (
            <label key={value} className="checkbox">
              <input type="radio" name="overlap" value={value} checked={overlap === value} onChange={() => setOverlap(value)} />
              {value === "none" ? "Stops working at once" : `Keeps working for ${REGENERATE_OVERLAPS[value].label}`}
            </label>
          ))}
        </fieldset>
      )}
      {regenerate.error && (
        <RequestErrorAlert error={regenerate.error} attempt="regenerate the token" />
      )}
      <button type="button" onClick={() => setConfirming(true)} disabled={regenerate.isPending}>
        Regenerate
      </button>
      <ConfirmDialog
        open={confirming}
        id="regenerate-dialog"
        title={<>Regenerate “{token.name}”?</>}
        description={
          <>
            <code>{displayPrefix(token.prefix)}</code>{" "}
            {expired
              ? "has expired and stays so."
              : overlap === "none"
                ? "stops working at once."
                : `keeps working for ${REGENERATE_OVERLAPS[overlap].label}, then stops.`}{" "}
            You will see the new token once.
          </>
        }
        safeLabel="Cancel"
        confirmLabel="Regenerate token"
        onConfirm={() => {
          setConfirming(false);
          regenerate.mutate({ id: token.id, overlap: expired ? "none" : overlap });
        }}
        onClose={() => setConfirming(false)}
      />
    </section>
  );
}
