"use client";

import Link from "next/link";
import { useRef, useState } from "react";
import { formatDate, formatDateTime, formatRelative } from "~/components/format";
import { ConfirmDialog } from "~/components/confirm-dialog";
import { useTimeZone } from "~/components/time-zone";
import { ClientName, isolated, recognisedClient } from "~/components/oauth/client-name";
import { classifyRequestError, LoadFailure, RequestErrorAlert } from "~/components/request-error";
import { Timestamp } from "~/components/timestamp";
import { useNow } from "~/components/use-now";
import activityStyles from "~/components/activity/activity.module.css";
import styles from "~/components/tokens/tokens.module.css";
import { api, type RouterOutputs } from "~/trpc/react";

type ConnectedApp = RouterOutputs["connectedApps"]["list"][number];

/**
 * DESIGN: "Connected apps": one row per connection (person × app), each live one with Revoke access. Revoked
 * ones stay listed, after the live ones, as revoked tokens do: the trail keeps them.
 */
export function ConnectedApps() {
  const utils = api.useUtils();
  const apps = api.connectedApps.list.useQuery();
  const [confirming, setConfirming] = useState<ConnectedApp | null>(null);
  const [revokeError, setRevokeError] = useState<{ error: unknown; name: string | undefined } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);

  const revoke = api.connectedApps.revoke.useMutation({
    // Optimistic: the row reads Revoked at once, and goes back if the server refuses.
    async onMutate({ id }) {
      setRevokeError(null);
      setNotice(null);
      await utils.connectedApps.list.cancel();
      const previous = utils.connectedApps.list.getData();
      utils.connectedApps.list.setData(undefined, (rows) => rows?.map((app) => (app.id === id ? { ...app, revokedAt: app.revokedAt ?? new Date() } : app)));
      return { previous };
    },
    onError(failure, { id }, context) {
      if (context?.previous) utils.connectedApps.list.setData(undefined, context.previous);
      setRevokeError({ error: failure, name: context?.previous?.find((app) => app.id === id)?.clientName });
    },
    onSuccess({ id }, _input, context) {
      setNotice(revokedNotice(context?.previous?.find((app) => app.id === id)?.clientName));
      // The row's button is gone: put focus somewhere that still exists, next to the announcement.
      headingRef.current?.focus();
    },
    onSettled() {
      void utils.connectedApps.list.invalidate();
    },
  });

  return (
    <section aria-labelledby="connected-apps-heading">
      <h2 id="connected-apps-heading" ref={headingRef} tabIndex={-1}>
        Connected apps
      </h2>
      <p className="muted">
        Apps you connected by signing in from them (Claude, ChatGPT, Claude Code, VS Code, Cursor…): no token to copy. Revoking
        access ends every token the app holds, at once.
      </p>
      <p role="status">{notice}</p>
      {revokeError && (
        <RequestErrorAlert error={revokeError.error} attempt={`revoke access for ${revokeError.name ? `“${isolated(revokeError.name)}”` : "the app"}`} />
      )}
      {/* A failed refresh keeps the rows already shown; one that failed for the reason just given goes unsaid. */}
      {apps.isError && !sameFailure(apps.error, revokeError?.error) && (
        <LoadFailure error={apps.error} attempt="load your connected apps" onRetry={() => void apps.refetch()} retrying={apps.isFetching} />
      )}
      {apps.isPending && (
        <p role="status" aria-live="polite">
          Loading your connected apps…
        </p>
      )}
      {apps.data &&
        (apps.data.length === 0 ? (
          <div className="card">
            <p>
              <strong>No connected apps.</strong> In Claude, ChatGPT, Claude Code, VS Code or Cursor, add the MCP server URL shown above
              and sign in when the browser asks: the app appears here.
            </p>
          </div>
        ) : (
          <ConnectedAppsTable apps={apps.data} onRevoke={setConfirming} />
        ))}
      <RevokeAccessDialog
        app={confirming}
        onCancel={() => setConfirming(null)}
        onConfirm={(app) => {
          setConfirming(null);
          revoke.mutate({ id: app.id });
        }}
      />
    </section>
  );
}

/** The host that vouches for the app; else what a person would recognise, marked unverified, and where it returns. */
export function clientDetail(app: Pick<ConnectedApp, "clientName" | "clientHost" | "redirectHost">): string {
  if (app.clientHost) return app.clientHost;
  const recognised = recognisedClient(app.clientName, app.clientHost);
  return `${recognised ? `${recognised} · ` : ""}unverified · returns to ${app.redirectHost}`;
}

function revokedNotice(name: string | undefined): string {
  return `Access revoked for ${name ? `“${isolated(name)}”` : "the app"}: its next request is refused.`;
}

function sameFailure(error: unknown, other: unknown): boolean {
  return other !== undefined && classifyRequestError(error).kind === classifyRequestError(other).kind;
}

function ConnectedAppsTable({ apps, onRevoke }: { apps: ConnectedApp[]; onRevoke(app: ConnectedApp): void }) {
  const now = useNow(30_000);
  const timeZone = useTimeZone();
  return (
    <div className={styles.tableWrapper}>
      <table className="cards" role="table">
        <caption className="visually-hidden">Apps connected to your account: connected ones first, newest first</caption>
        <thead role="rowgroup">
          <tr role="row">
            <th scope="col" role="columnheader">App</th>
            <th scope="col" role="columnheader">Scopes</th>
            <th scope="col" role="columnheader">Connected</th>
            <th scope="col" role="columnheader">Last used</th>
            <th scope="col" role="columnheader">Status</th>
            <th scope="col" role="columnheader">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody role="rowgroup">
          {apps.map((app) => (
            <tr key={app.id} role="row">
              <th scope="row" role="rowheader" id={`app-${app.id}-name`} className={styles.rowName}>
                <Link href={`/dashboard/apps/${app.id}`}>
                  <ClientName name={app.clientName} />
                </Link>
                <br />
                <span className="muted">{clientDetail(app)}</span>
              </th>
              <td role="cell" data-label="Scopes">
                {app.scopes.join(", ")}
              </td>
              <td role="cell" data-label="Connected" className={styles.nowrap}>
                <Timestamp date={app.connectedAt}>{formatDate(app.connectedAt, timeZone)}</Timestamp>
              </td>
              <td role="cell" data-label="Last used" className={styles.nowrap}>
                {app.lastUsedAt ? (
                  <Timestamp date={app.lastUsedAt} relative>
                    {formatRelative(app.lastUsedAt, now)}
                  </Timestamp>
                ) : (
                  "Never"
                )}
              </td>
              <td role="cell" data-label="Status">
                {app.revokedAt ? (
                  <>
                    <span className="status revoked">Revoked</span>{" "}
                    <Timestamp date={app.revokedAt} className="muted">
                      {formatDate(app.revokedAt, timeZone)}
                    </Timestamp>
                  </>
                ) : (
                  <span className="status active">Connected</span>
                )}
              </td>
              <td role="cell">
                {!app.revokedAt && (
                  <button type="button" className="danger" aria-describedby={`app-${app.id}-name`} onClick={() => onRevoke(app)}>
                    Revoke access
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The app page's heading: the app's name, or "Connected app" until it has loaded (the page prefetches it). */
export function ConnectedAppHeading({ appId }: { appId: string }) {
  const app = api.connectedApps.get.useQuery({ id: appId });
  return <h1>{app.data ? <ClientName name={app.data.clientName} /> : "Connected app"}</h1>;
}

/** The app page's Settings: what the app was granted, and Revoke access. */
export function ConnectedAppSettings({ appId }: { appId: string }) {
  const query = api.connectedApps.get.useQuery({ id: appId });
  const timeZone = useTimeZone();
  if (query.isPending) return <p role="status">Loading the app…</p>;
  if (query.isError) {
    return <LoadFailure error={query.error} attempt="load the app" onRetry={() => void query.refetch()} retrying={query.isFetching} />;
  }
  const app = query.data;
  const recognised = recognisedClient(app.clientName, app.clientHost);
  return (
    <section className="card" aria-labelledby="settings-heading">
      <h2 id="settings-heading">Settings</h2>
      <dl className={activityStyles.settings}>
        <dt>Verified by</dt>
        <dd>
          {app.clientHost ?? `Nobody: the app chose its name itself (unverified)${recognised ? `. It is the name ${recognised} gives itself.` : ""}`}
        </dd>
        <dt>Sends you back to</dt>
        <dd>{app.redirectHost}</dd>
        <dt>May</dt>
        <dd>{app.scopes.join(", ")}</dd>
        <dt>Connected</dt>
        <dd>{formatDateTime(app.connectedAt, timeZone)}</dd>
        <dt>Status</dt>
        <dd>
          <AppRevocation app={app} revokedLabel={app.revokedAt ? `Access revoked ${formatDateTime(app.revokedAt, timeZone)}` : null} />
        </dd>
      </dl>
    </section>
  );
}

/**
 * The app page's Revoke access, with the list's dialog. The app is read again afterwards; this stays, so its
 * announcement is heard. `revokedLabel`: when the app is already revoked, what to say instead of the button.
 */
function AppRevocation({ app, revokedLabel }: { app: Pick<ConnectedApp, "id" | "clientName">; revokedLabel: string | null }) {
  const utils = api.useUtils();
  const [confirming, setConfirming] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const noticeRef = useRef<HTMLParagraphElement>(null);
  const revoke = api.connectedApps.revoke.useMutation({
    onMutate() {
      setNotice(null);
    },
    onSuccess() {
      setNotice(revokedNotice(app.clientName));
      noticeRef.current?.focus();
      void utils.connectedApps.invalidate();
    },
  });
  return (
    <>
      {revokedLabel ?? (
        <>
          Connected.{" "}
          <button type="button" className="danger" onClick={() => setConfirming(true)} disabled={revoke.isPending}>
            Revoke access
          </button>
        </>
      )}
      <p role="status" ref={noticeRef} tabIndex={-1}>
        {notice}
      </p>
      {revoke.error && <RequestErrorAlert error={revoke.error} attempt={`revoke access for “${isolated(app.clientName)}”`} />}
      <RevokeAccessDialog
        app={confirming ? app : null}
        onCancel={() => setConfirming(false)}
        onConfirm={() => {
          setConfirming(false);
          revoke.mutate({ id: app.id });
        }}
      />
    </>
  );
}

/** Revoke a connection, after a confirmation; Escape and Keep connected leave it alone. */
function RevokeAccessDialog<App extends Pick<ConnectedApp, "id" | "clientName">>({
  app,
  onConfirm,
  onCancel,
}: {
  app: App | null;
  onConfirm(app: App): void;
  onCancel(): void;
}) {
  return (
    <ConfirmDialog
      open={app !== null}
      id="revoke-app"
      title={
        app && (
          <>
            Revoke access for “<ClientName name={app.clientName} />”?
          </>
        )
      }
      description={
        app && (
          <>
            <ClientName name={app.clientName} /> loses access with its very next request, on every device where you connected it this way. To use it again,
            connect it again.
          </>
        )
      }
      safeLabel="Keep connected"
      confirmLabel="Revoke access"
      onConfirm={() => app && onConfirm(app)}
      onClose={onCancel}
    />
  );
}
