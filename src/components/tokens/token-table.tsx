"use client";

import Link from "next/link";
import type { RouterOutputs } from "~/trpc/react";
import { displayPrefix, expiresSoon, formatDate, formatDateTime, formatRelative } from "~/components/format";
import { Timestamp } from "~/components/timestamp";
import { useTimeZone } from "~/components/time-zone";
import { useNow } from "~/components/use-now";
import styles from "./tokens.module.css";

export type TokenRow = RouterOutputs["tokens"]["list"][number];

const STATUS_LABELS: Record<TokenRow["status"], string> = { active: "Active", expired: "Expired", revoked: "Revoked" };

export function TokenTable({ tokens, caption, onRevoke }: { tokens: TokenRow[]; caption: string; onRevoke(token: TokenRow): void }) {
  const now = useNow(30_000);
  const timeZone = useTimeZone();
  // Explicit roles: on phones the rows are laid out as cards (globals.css .cards), and a table whose
  // display changed would otherwise lose its table semantics in some browsers.
  return (
    <div className="table-scroll">
      <table className={`cards ${styles.tokenTable}`} role="table">
        <caption className="visually-hidden">{caption}</caption>
        <thead role="rowgroup">
          <tr role="row">
            <th scope="col" role="columnheader">Name</th>
            <th scope="col" role="columnheader">Prefix</th>
            <th scope="col" role="columnheader">Scopes</th>
            <th scope="col" role="columnheader">Created</th>
            <th scope="col" role="columnheader">Expires</th>
            <th scope="col" role="columnheader">Last used</th>
            <th scope="col" role="columnheader">Status</th>
            <th scope="col" role="columnheader">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody role="rowgroup">
          {tokens.map((token) => (
            <tr key={token.id} role="row">
              <th scope="row" role="rowheader" id={`token-${token.id}-name`} className={styles.rowName}>
                <Link href={`/dashboard/tokens/${token.id}`}>{token.name}</Link>
              </th>
              <td role="cell" data-label="Prefix">
                <code className={styles.nowrap}>{displayPrefix(token.prefix)}</code>
              </td>
              <td role="cell" data-label="Scopes">
                {token.scopes.join(", ")}
              </td>
              <td role="cell" data-label="Created" className={styles.nowrap}>
                <Timestamp date={token.createdAt}>{formatDate(token.createdAt, timeZone)}</Timestamp>
              </td>
              <td role="cell" data-label="Expires" className={styles.nowrap}>
                {token.expiresAt ? <Timestamp date={token.expiresAt}>{formatDate(token.expiresAt, timeZone)}</Timestamp> : "Never"}
                {token.status === "active" && token.expiresAt && expiresSoon(token.expiresAt, now, timeZone) && (
                  // Like "3 minutes ago", the count may differ between the server's render and the browser's.
                  <strong className={styles.expiresSoon} suppressHydrationWarning>
                    {expiresSoon(token.expiresAt, now, timeZone)}
                  </strong>
                )}
              </td>
              <td role="cell" data-label="Last used" className={styles.nowrap}>
                {token.lastUsedAt ? (
                  <Timestamp date={token.lastUsedAt} relative>
                    {formatRelative(token.lastUsedAt, now)}
                  </Timestamp>
                ) : (
                  "Never"
                )}
              </td>
              <td role="cell" data-label="Status">
                <span className={`status ${token.status}`}>{STATUS_LABELS[token.status]}</span>
                {token.revokedAt && (
                  <>
                    {" "}
                    <span className="muted">
                      <Timestamp date={token.revokedAt}>{formatDateTime(token.revokedAt, timeZone)}</Timestamp>
                    </span>
                  </>
                )}
              </td>
              <td role="cell">
                {token.status === "active" && (
                  <button type="button" className="danger" aria-describedby={`token-${token.id}-name`} onClick={() => onRevoke(token)}>
                    Revoke
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
