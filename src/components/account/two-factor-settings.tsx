"use client";

import { useEffect, useRef, useState, type FormEvent } from "react";
import { FormField } from "~/components/auth/form-field";
import { formatDateTime } from "~/components/format";
import { useTimeZone } from "~/components/time-zone";
import { RequestErrorAlert } from "~/components/request-error";
import { ConfirmDialog } from "~/components/confirm-dialog";
import { CopyButton } from "~/components/tokens/copy-button";
import { useFocusFirstError } from "~/components/use-focus-first-error";
import { api } from "~/trpc/react";
import styles from "./account.module.css";
import { PasskeysSection } from "./passkeys-section";
import { QrCode } from "./qr-code";

type FieldErrors = Partial<Record<string, string[]>> | undefined;

/**
 * /settings: the second factors in one place: the authenticator app (set up, turn off), passkeys, and the recovery
 * codes that stand in for either, issued with the first factor and shown once.
 */
export function TwoFactorSection() {
  const timeZone = useTimeZone();
  const utils = api.useUtils();
  const status = api.twoFactor.status.useQuery();
  const begin = api.twoFactor.beginTotpSetup.useMutation();
  const [newCodes, setNewCodes] = useState<string[] | null>(null);
  const [announcement, setAnnouncement] = useState("");
  const [turningOff, setTurningOff] = useState(false);
  const regenerate = api.twoFactor.regenerateRecoveryCodes.useMutation({
    onSuccess: async (result) => {
      setNewCodes(result.recoveryCodes);
      await utils.twoFactor.status.invalidate();
    },
  });
  const disable = api.twoFactor.disableTotp.useMutation({
    onSuccess: async (result) => {
      setTurningOff(false);
      setAnnouncement(
        result.twoFactorOff
          ? "Authenticator app turned off. Signing in needs only your password now."
          : "Authenticator app turned off. Signing in asks for one of your passkeys after your password.",
      );
      await utils.twoFactor.status.invalidate();
    },
    // A refusal (sudo mode declined, the server down) is said below the section; the dialog closes.
    onError: () => setTurningOff(false),
  });

  const enabledAt = status.data?.totpEnabledAt ?? null;
  const passkeys = status.data?.passkeys ?? 0;
  const failure = status.error
    ? { error: status.error, attempt: "load your two-factor settings" }
    : begin.error
      ? { error: begin.error, attempt: "start setting up an authenticator app" }
      : regenerate.error
        ? { error: regenerate.error, attempt: "make new recovery codes" }
        : disable.error
          ? { error: disable.error, attempt: "turn the authenticator app off" }
          : null;

  return (
    <section className={`card ${styles.section}`} aria-labelledby="two-factor-heading">
      <h2 id="two-factor-heading">Two-factor authentication</h2>
      <p className="muted">
        With an authenticator app or a passkey, signing in asks for it after your password, so a password alone no longer opens your account.
      </p>
      {status.isPending && <p role="status">Loading…</p>}
      {failure && <RequestErrorAlert error={failure.error} attempt={failure.attempt} />}
      {newCodes && <RecoveryCodesPanel codes={newCodes} onDone={() => setNewCodes(null)} />}
      {status.data && !newCodes && (
        <div className={styles.factor}>
          <h3>Authenticator app</h3>
          {enabledAt ? (
            <>
              <p>
                <strong>Authenticator app: on</strong> since {formatDateTime(enabledAt, timeZone)}.
              </p>
              <p className="actions">
                <button type="button" className="danger" onClick={() => setTurningOff(true)} disabled={disable.isPending}>
                  Turn off authenticator app
                </button>
              </p>
            </>
          ) : !status.data.available ? (
            <p>This server cannot store authenticator apps yet: its administrator has to set TOTP_ENCRYPTION_KEY.</p>
          ) : begin.data ? (
            <TotpSetup
              keyUri={begin.data.keyUri}
              setupKey={begin.data.setupKey}
              onCancel={() => begin.reset()}
              onEnabled={async (codes) => {
                begin.reset();
                // Beside a passkey, the codes the person saved already stay good: none to show.
                if (codes) setNewCodes(codes);
                setAnnouncement("Authenticator app on.");
                await utils.twoFactor.status.invalidate();
              }}
            />
          ) : (
            <p className="actions">
              <button type="button" className="primary" onClick={() => begin.mutate()} disabled={begin.isPending}>
                Set up authenticator app
              </button>
            </p>
          )}
        </div>
      )}
      <div className={styles.factor}>
        <PasskeysSection
          onRecoveryCodes={setNewCodes}
          onRemoved={(removed) => {
            if (removed.twoFactorOff) setAnnouncement("That was your last second factor: signing in needs only your password now.");
          }}
        />
      </div>
      {status.data && !newCodes && (enabledAt || passkeys > 0) && (
        <div className={styles.factor}>
          <h3>Recovery codes</h3>
          <p>
            Recovery codes: {status.data.recoveryCodesLeft} of 10 left. Each works once, if you lose your phone or your passkeys.
            {status.data.recoveryCodesLeft <= 3 && " Make new ones before you run out."}
          </p>
          <p className="actions">
            <button type="button" onClick={() => regenerate.mutate()} disabled={regenerate.isPending}>
              Regenerate recovery codes
            </button>
          </p>
        </div>
      )}
      <p role="status">{announcement}</p>
      <ConfirmDialog
        open={turningOff}
        id="totp-off"
        title="Turn off the authenticator app?"
        description={
          passkeys > 0
            ? "Signing in will ask for one of your passkeys instead of a code; your recovery codes stay."
            : "Signing in will need only your password, and your recovery codes stop working."
        }
        safeLabel="Cancel"
        confirmLabel="Turn off"
        busy={disable.isPending}
        onConfirm={() => disable.mutate()}
        onClose={() => setTurningOff(false)}
      />
    </section>
  );
}

function TotpSetup({
  keyUri,
  setupKey,
  onCancel,
  onEnabled,
}: {
  keyUri: string;
  setupKey: string;
  onCancel: () => void;
  onEnabled: (recoveryCodes: string[] | null) => Promise<void>;
}) {
  const enable = api.twoFactor.enableTotp.useMutation({ onSuccess: (result) => onEnabled(result.recoveryCodes) });
  const formRef = useRef<HTMLFormElement>(null);
  const fieldErrors: FieldErrors = enable.error?.data?.zodError?.fieldErrors;
  useFocusFirstError(formRef, enable.error, "#totp-setup-code");

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    enable.mutate({ code: String(new FormData(event.currentTarget).get("totp-setup-code") ?? "") });
  }

  return (
    <div className="stack">
      <p>Scan this QR code with your authenticator app (1Password, Google Authenticator, Authy, …), or type the setup key into it.</p>
      <QrCode text={keyUri} label="QR image to scan with your authenticator app" />
      <div>
        <label htmlFor="setup-key">Setup key</label>
        <input id="setup-key" type="text" readOnly value={setupKey} className={styles.setupKey} spellCheck={false} aria-describedby="setup-key-hint" />
        <p id="setup-key-hint" className="muted field-hint">
          Time-based, 6 digits, every 30 seconds.
        </p>
      </div>
      <form ref={formRef} method="post" className="stack" onSubmit={onSubmit} noValidate aria-busy={enable.isPending}>
        <FormField
          id="totp-setup-code"
          label="Code"
          type="text"
          inputMode="numeric"
          autoComplete="one-time-code"
          required
          hint="The 6-digit code your app shows for Carestral."
          error={fieldErrors?.code?.[0]}
        />
        {enable.error && !fieldErrors && <RequestErrorAlert error={enable.error} attempt="turn the authenticator app on" />}
        <p className="actions">
          <button type="submit" className="primary" disabled={enable.isPending || enable.isSuccess}>
            Enable
          </button>
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        </p>
      </form>
    </div>
  );
}

/** Ten fresh codes, shown this once: only their hashes are kept. */
function RecoveryCodesPanel({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const listRef = useRef<HTMLOListElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);
  return (
    <div role="group" aria-labelledby="recovery-codes-heading" className="stack">
      <h3 id="recovery-codes-heading" ref={headingRef} tabIndex={-1}>
        Recovery codes
      </h3>
      <p>
        <strong>Save these now: they will not be shown again.</strong> Each one signs you in once instead of a code from your app or a
        passkey, if you lose them. Keep them somewhere safe, like a password manager.
      </p>
      <ol ref={listRef} className={styles.recoveryCodes}>
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <p className="actions">
        <CopyButton text={codes.join("\n")} target={listRef} what="recovery codes" />
        <button type="button" className="primary" onClick={onDone}>
          Done
        </button>
      </p>
    </div>
  );
}
