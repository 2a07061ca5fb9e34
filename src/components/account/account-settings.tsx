"use client";

import { useRouter } from "next/navigation";
import { useMemo, useRef, useState, useSyncExternalStore, type ChangeEvent, type FormEvent } from "react";
import { FormField } from "~/components/auth/form-field";
import { useSessionChangeNavigation } from "~/components/auth/use-session-change-navigation";
import { ConfirmDialog } from "~/components/confirm-dialog";
import { formatDateTime, formatRelative } from "~/components/format";
import { useTimeZone } from "~/components/time-zone";
import { DEFAULT_TIME_ZONE, matchingChoice, type TimeZoneChoices } from "~/server/account/time-zone";
import { RequestErrorAlert } from "~/components/request-error";
import { isSudoRequired } from "~/components/sudo/sudo-required";
import { Timestamp } from "~/components/timestamp";
import { useFocusFirstError } from "~/components/use-focus-first-error";
import { api } from "~/trpc/react";
import styles from "./account.module.css";
import { describeRevokedAccess, REVOKE_ACCESS_LABEL } from "./revoked-access";
import { TwoFactorSection } from "./two-factor-settings";

type FieldErrors = Partial<Record<string, string[]>> | undefined;

/** `timeZoneChoices`: the Time zone select's options, labelled by the server (see timeZoneChoices). */
export function AccountSettings({
  user,
  passwordHint,
  timeZoneChoices,
}: {
  user: { firstname: string; surname: string; email: string };
  passwordHint: string;
  timeZoneChoices: TimeZoneChoices;
}) {
  const timeZone = useTimeZone();
  return (
    <>
      <NameSection firstname={user.firstname} surname={user.surname} />
      <EmailSection email={user.email} />
      {/* Keyed by the saved zone: once saved (or first recorded), the select starts again from it. */}
      <TimeZoneSection key={timeZone} current={timeZone} choices={timeZoneChoices} />
      <PasswordSection passwordHint={passwordHint} />
      <TwoFactorSection />
      <SessionsSection />
      <ExportSection />
      <DeleteSection />
    </>
  );
}

function NameSection({ firstname, surname }: { firstname: string; surname: string }) {
  const router = useRouter();
  const update = api.account.updateName.useMutation({ onSuccess: () => router.refresh() });
  const fieldErrors: FieldErrors = update.error?.data?.zodError?.fieldErrors;

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    update.mutate({ firstname: String(form.get("firstname") ?? ""), surname: String(form.get("surname") ?? "") });
  }

  return (
    <section className={`card ${styles.section}`} aria-labelledby="name-heading">
      <h2 id="name-heading">Name</h2>
      {/* method="post" on every form here: should the script not run, the browser posts it (nothing happens)
          instead of putting what was typed, passwords included, in the address bar. */}
      <form method="post" className="stack" onSubmit={onSubmit} noValidate aria-busy={update.isPending}>
        <FormField id="firstname" label="First name" type="text" autoComplete="given-name" required defaultValue={firstname} error={fieldErrors?.firstname?.[0]} />
        <FormField id="surname" label="Surname" type="text" autoComplete="family-name" required defaultValue={surname} error={fieldErrors?.surname?.[0]} />
        {update.error && !fieldErrors && <RequestErrorAlert error={update.error} attempt="save your name" />}
        <p className="actions">
          <button type="submit" className="primary" disabled={update.isPending}>
            Save name
          </button>
          <span role="status">{update.isSuccess && !update.isPending ? "Saved." : ""}</span>
        </p>
      </form>
    </section>
  );
}

/**
 * The address, and changing it (sudo mode): the change waits for the link mailed to the new address, shown here
 * until then with a way to cancel it.
 */
function EmailSection({ email }: { email: string }) {
  const utils = api.useUtils();
  const timeZone = useTimeZone();
  const formRef = useRef<HTMLFormElement>(null);
  const status = api.account.emailStatus.useQuery();
  const pending = api.account.pendingEmailChange.useQuery();
  const request = api.account.requestEmailChange.useMutation({
    onSuccess(change) {
      formRef.current?.reset();
      cancel.reset();
      utils.account.pendingEmailChange.setData(undefined, change);
    },
  });
  const cancel = api.account.cancelEmailChange.useMutation({
    onSuccess() {
      request.reset();
      utils.account.pendingEmailChange.setData(undefined, null);
    },
  });
  const fieldErrors: FieldErrors = request.error?.data?.zodError?.fieldErrors;
  useFocusFirstError(formRef, request.error);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    request.mutate({ newEmail: String(form.get("new-email") ?? "") });
  }

  return (
    <section id="email" className={`card ${styles.section}`} aria-labelledby="email-heading">
      <h2 id="email-heading">Email address</h2>
      <p>
        Your email: <strong>{email}</strong>
        {status.data && <span className="muted">{status.data.verified ? " (confirmed)" : " (not confirmed yet)"}</span>}
      </p>
      {pending.error && <RequestErrorAlert error={pending.error} attempt="load your pending email change" />}
      {pending.data && (
        <div className={styles.pendingChange} role="group" aria-labelledby="pending-email-heading">
          <h3 id="pending-email-heading">Waiting for confirmation</h3>
          <p>
            We mailed a link to <strong>{pending.data.newEmail}</strong>. Your email changes to it when that link is opened, until{" "}
            {formatDateTime(pending.data.expiresAt, timeZone)}.
          </p>
          {cancel.error && <RequestErrorAlert error={cancel.error} attempt="cancel the change" />}
          <p className="actions">
            <button type="button" onClick={() => cancel.mutate()} disabled={cancel.isPending}>
              Cancel change
            </button>
          </p>
        </div>
      )}
      {status.error && <RequestErrorAlert error={status.error} attempt="load your email status" />}
      {/* Only once it is known whether this server can mail: a form that vanished on load would be worse than none. */}
      {status.data && !status.data.mailAvailable && (
        <p className="muted">This server cannot send email, so the address cannot be changed here. Ask its administrator to configure SMTP_URL.</p>
      )}
      {status.data?.mailAvailable && (
        <form ref={formRef} method="post" className="stack" onSubmit={onSubmit} noValidate aria-busy={request.isPending}>
          <FormField
            id="new-email"
            label="New email address"
            type="email"
            autoComplete="email"
            required
            hint="We mail a link to the new address; your email changes only once it is opened."
            error={fieldErrors?.newEmail?.[0]}
          />
          {request.error && !fieldErrors && <RequestErrorAlert error={request.error} attempt="change your email" />}
          <p className="actions">
            <button type="submit" className="primary" disabled={request.isPending}>
              Change email
            </button>
            <span role="status">
              {request.isSuccess ? `Check ${request.data.newEmail} for the link.` : cancel.isSuccess ? "Change cancelled: your email stays as it is." : ""}
            </span>
          </p>
        </form>
      )}
    </section>
  );
}

const noSubscription = () => () => {};

function TimeZoneSection({ current, choices }: { current: string; choices: TimeZoneChoices }) {
  const router = useRouter();
  const [chosen, setChosen] = useState(current);
  // What the browser says, known only once the page runs there (null on the server, which cannot tell).
  const browserZone = useSyncExternalStore(noSubscription, () => Intl.DateTimeFormat().resolvedOptions().timeZone, () => null);
  // The same zone as the list names it, which may differ from the browser's name for it.
  // Memoised: where the names differ, matching resolves every choice, and the form renders on each change.
  const browserChoice = useMemo(() => (browserZone === null ? null : matchingChoice(browserZone, choices)), [browserZone, choices]);
  const save = api.account.setTimeZone.useMutation({ onSuccess: () => router.refresh() });
  const fieldErrors: FieldErrors = save.error?.data?.zodError?.fieldErrors;
  const fieldError = fieldErrors?.timeZone?.[0];

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    save.mutate({ timeZone: chosen });
  }

  return (
    <section id="time-zone" className={`card ${styles.section}`} aria-labelledby="time-zone-heading">
      <h2 id="time-zone-heading">Time zone</h2>
      <p className="muted">
        Times of your calls, tokens and sessions, and the activity chart’s days, are shown in this zone. Appointments keep the hospital’s local time.
      </p>
      <form method="post" className="stack" onSubmit={onSubmit} noValidate aria-busy={save.isPending}>
        <div>
          <label htmlFor="time-zone-select">Time zone</label>
          <select
            id="time-zone-select"
            name="timeZone"
            value={chosen}
            aria-invalid={fieldError ? true : undefined}
            aria-describedby={["time-zone-hint", fieldError ? "time-zone-error" : null].filter(Boolean).join(" ")}
            onChange={(event) => {
              setChosen(event.target.value);
              save.reset();
            }}
          >
            <option value={DEFAULT_TIME_ZONE}>UTC (GMT) · UTC</option>
            {choices.map(({ region, options }) => (
              <optgroup key={region} label={region}>
                {options.map((option) => (
                  <option key={option.zone} value={option.zone}>
                    {option.label}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
          <p id="time-zone-hint" className="muted field-hint">
            Type a city’s first letters to jump to it.{" "}
            {browserZone && browserChoice !== chosen && `This browser is set to ${browserZone}.`}
          </p>
          {fieldError && (
            <p id="time-zone-error" className="field-error">
              {fieldError}
            </p>
          )}
        </div>
        {save.error && !fieldError && <RequestErrorAlert error={save.error} attempt="save your time zone" />}
        <p className="actions">
          <button type="submit" className="primary" disabled={save.isPending}>
            Save time zone
          </button>
          {browserChoice && browserChoice !== chosen && (
            <button type="button" onClick={() => setChosen(browserChoice)}>
              Use this browser’s zone
            </button>
          )}
          <span role="status">{save.isSuccess && !save.isPending ? `Saved: times are shown in ${save.data.timeZone}.` : ""}</span>
        </p>
      </form>
    </section>
  );
}

function PasswordSection({ passwordHint }: { passwordHint: string }) {
  const utils = api.useUtils();
  const formRef = useRef<HTMLFormElement>(null);
  const change = api.account.changePassword.useMutation({
    onSuccess: async () => {
      formRef.current?.reset();
      await utils.account.sessions.invalidate();
    },
  });
  const fieldErrors: FieldErrors = change.error?.data?.zodError?.fieldErrors;
  // A refusal for want of sudo mode (the Confirm access prompt was cancelled) is not about this field.
  const wrongCurrent = change.error?.data?.code === "FORBIDDEN" && !isSudoRequired(change.error) ? change.error.message : undefined;
  useFocusFirstError(formRef, change.error);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    change.mutate({
      currentPassword: String(form.get("current-password") ?? ""),
      newPassword: String(form.get("new-password") ?? ""),
      revokeAccess: form.get("password-revoke-access") === "on",
    });
  }

  return (
    <section className={`card ${styles.section}`} aria-labelledby="password-heading">
      <h2 id="password-heading">Password</h2>
      <form ref={formRef} method="post" className="stack" onSubmit={onSubmit} noValidate aria-busy={change.isPending}>
        <FormField
          id="current-password"
          label="Current password"
          type="password"
          autoComplete="current-password"
          required
          error={wrongCurrent ?? fieldErrors?.currentPassword?.[0]}
        />
        <FormField
          id="new-password"
          label="New password"
          type="password"
          autoComplete="new-password"
          required
          hint={passwordHint}
          error={fieldErrors?.newPassword?.[0]}
        />
        <RevokeAccessCheckbox id="password-revoke-access" />
        {change.error && !fieldErrors && !wrongCurrent && <RequestErrorAlert error={change.error} attempt="change your password" />}
        <p className="actions">
          <button type="submit" className="primary" disabled={change.isPending}>
            Change password
          </button>
          <span role="status">{change.isSuccess ? `Password changed. ${describeRevokedAccess(change.data.revoked, "other session")}` : ""}</span>
        </p>
      </form>
    </section>
  );
}

function SessionsSection() {
  const utils = api.useUtils();
  const timeZone = useTimeZone();
  const navigate = useSessionChangeNavigation();
  const sessions = api.account.sessions.useQuery();
  const signOutOne = api.account.signOutSession.useMutation({
    onSuccess: async (result) => {
      if (result.current) navigate("/");
      else await utils.account.sessions.invalidate();
    },
  });
  const signOutOthers = api.account.signOutOtherSessions.useMutation({ onSuccess: () => utils.invalidate() });
  const [revokeAccess, setRevokeAccess] = useState(false);
  const failure = sessions.error
    ? { error: sessions.error, attempt: "load your sessions" }
    : signOutOne.error
      ? { error: signOutOne.error, attempt: "sign that session out" }
      : signOutOthers.error
        ? { error: signOutOthers.error, attempt: "sign out your other sessions" }
        : null;
  const others = sessions.data?.filter((session) => !session.current).length ?? 0;

  return (
    <section className={`card ${styles.section}`} aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">Sessions</h2>
      <p className="muted">Where your account is signed in. Sign out anything you do not recognise.</p>
      {sessions.isPending && <p role="status">Loading sessions…</p>}
      {failure && <RequestErrorAlert error={failure.error} attempt={failure.attempt} />}
      {sessions.data && (
        <ul className={styles.sessions} aria-labelledby="sessions-heading">
          {sessions.data.map((session) => (
            <li key={session.id} className={styles.session}>
              <div id={`session-${session.id}`}>
                <strong>{session.device}</strong>
                {session.current && <span className={styles.current}> · This device</span>}
                <br />
                <span className="muted">
                  Last seen <Timestamp date={session.lastSeenAt}>{formatRelative(session.lastSeenAt)}</Timestamp>
                  {" · "}signed in {formatDateTime(session.createdAt, timeZone)} with {session.signInMethod}
                </span>
              </div>
              <button
                type="button"
                aria-describedby={`session-${session.id}`}
                onClick={() => signOutOne.mutate({ id: session.id })}
                disabled={signOutOne.isPending}
              >
                Sign out
              </button>
            </li>
          ))}
        </ul>
      )}
      <RevokeAccessCheckbox id="sessions-revoke-access" checked={revokeAccess} onChange={setRevokeAccess} />
      <p className="actions">
        <button
          type="button"
          onClick={() => signOutOthers.mutate({ revokeAccess })}
          disabled={signOutOthers.isPending || (others === 0 && !revokeAccess)}
        >
          Sign out everywhere else
        </button>
        <span role="status">{signOutOthers.isSuccess ? describeRevokedAccess(signOutOthers.data.revoked, "other session") : ""}</span>
      </p>
    </section>
  );
}

/**
 * The choice to end token and app access too. A reset through the mailed link always does; here it is offered,
 * since a token someone else created while holding the account outlives a password change.
 */
function RevokeAccessCheckbox({ id, checked, onChange }: { id: string; checked?: boolean; onChange?: (checked: boolean) => void }) {
  return (
    <div>
      <label className="checkbox">
        <input
          id={id}
          name={id}
          type="checkbox"
          aria-describedby={`${id}-hint`}
          {...(onChange ? { checked, onChange: (event: ChangeEvent<HTMLInputElement>) => onChange(event.currentTarget.checked) } : {})}
        />
        {REVOKE_ACCESS_LABEL}
      </label>
      <p id={`${id}-hint`} className="muted">
        Every assistant using one stops working at once; you create new tokens and connect your apps again.
      </p>
    </div>
  );
}

function ExportSection() {
  return (
    <section className={`card ${styles.section}`} aria-labelledby="export-heading">
      <h2 id="export-heading">Your data</h2>
      <p>A JSON file with your profile, sessions, passkeys, tokens (never their secret) and bookings.</p>
      <p>
        <a className="button" href="/api/account/export" download>
          Export my data
        </a>
      </p>
    </section>
  );
}

function DeleteSection() {
  const navigate = useSessionChangeNavigation();
  const [open, setOpen] = useState(false);
  // The home page says the account is gone (?deleted=1): landing there with no word was a dead end.
  const remove = api.account.deleteAccount.useMutation({ onSuccess: () => navigate("/?deleted=1") });
  const deleteFormRef = useRef<HTMLFormElement>(null);
  const fieldErrors: FieldErrors = remove.error?.data?.zodError?.fieldErrors;
  const wrongPassword = remove.error?.data?.code === "FORBIDDEN" && !isSudoRequired(remove.error) ? remove.error.message : undefined;
  useFocusFirstError(deleteFormRef, remove.error);

  function close() {
    setOpen(false);
    remove.reset();
  }

  return (
    <section className={`card ${styles.section} ${styles.danger}`} aria-labelledby="delete-heading">
      <h2 id="delete-heading">Delete account</h2>
      <p>
        Deletes your account, your tokens and your bookings for good. Every token stops working at once. Export your data first if you
        want to keep it.
      </p>
      <p>
        <button type="button" className="danger" onClick={() => setOpen(true)}>
          Delete account
        </button>
      </p>
      <ConfirmDialog
        open={open}
        id="delete-dialog"
        title="Delete your account?"
        description="This cannot be undone. Enter your password to confirm."
        safeLabel="Cancel"
        confirmLabel="Delete my account"
        busy={remove.isPending || remove.isSuccess}
        formRef={deleteFormRef}
        onConfirm={(form) => remove.mutate({ password: String(form.get("delete-password") ?? "") })}
        onClose={close}
      >
        <div className="stack">
          <FormField
            id="delete-password"
            label="Password"
            type="password"
            autoComplete="current-password"
            required
            error={wrongPassword ?? fieldErrors?.password?.[0]}
          />
          {remove.error && !fieldErrors && !wrongPassword && <RequestErrorAlert error={remove.error} attempt="delete your account" />}
        </div>
      </ConfirmDialog>
    </section>
  );
}
