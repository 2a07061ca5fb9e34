"use client";

import Link from "next/link";
import { useEffect, useState } from "react";
import type { RouterOutputs } from "~/trpc/react";
import { displayPrefix, formatDate, formatDateTime, formatRelative } from "./format";
import styles from "./tokens.module.css";

export type TokenRow = RouterOutputs["tokens"]["list"][number];

const STATUS_LABELS: Record<TokenRow["status"], string> = { active: "Active", expired: "Expired", revoked: "Revoked" };

/** The current time, refreshed every `intervalMs`, so "3 minutes ago" stays true while the page is open. */
function useNow(intervalMs: number): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

function Timestamp({ date, children }: { date: Date; children: string }) {
  return (
    <time dateTime={date.toISOString()} title={formatDateTime(date)}>
      {children}
    </time>
  );
}

export function TokenTable({ tokens, onRevoke }: { tokens: TokenRow[]; onRevoke(token: TokenRow): void }) {
  const now = useNow(30_000);
  return (
    <div className={styles.tableWrapper}>
      <table>
        <caption className="visually-hidden">Your API tokens, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Prefix</th>
            <th scope="col">Scopes</th>
            <th scope="col">Created</th>
            <th scope="col">Expires</th>
            <th scope="col">Last used</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {tokens.map((token) => (
            <tr key={token.id}>
              <th scope="row" id={`token-${token.id}-name`} className={styles.rowName}>
                <Link href={`/dashboard/tokens/${token.id}`}>{token.name}</Link>
              </th>
              <td>
                <code className={styles.nowrap}>{displayPrefix(token.prefix)}</code>
              </td>
              <td>{token.scopes.join(", ")}</td>
              <td className={styles.nowrap}>
                <Timestamp date={token.createdAt}>{formatDate(token.createdAt)}</Timestamp>
              </td>
              <td className={styles.nowrap}>
                {token.expiresAt ? <Timestamp date={token.expiresAt}>{formatDate(token.expiresAt)}</Timestamp> : "Never"}
              </td>
              <td className={styles.nowrap}>
                {token.lastUsedAt ? <Timestamp date={token.lastUsedAt}>{formatRelative(token.lastUsedAt, now)}</Timestamp> : "Never"}
              </td>
              <td>
                <span className={`status ${token.status}`}>{STATUS_LABELS[token.status]}</span>
                {token.revokedAt && (
                  <>
                    {" "}
                    <span className="muted">
                      <Timestamp date={token.revokedAt}>{formatDateTime(token.revokedAt)}</Timestamp>
                    </span>
                  </>
                )}
              </td>
              <td>
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
