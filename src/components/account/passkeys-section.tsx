"use client";

import { useEffect, useRef, useState, type FormEvent } from "react";
import { FormField } from "~/components/auth/form-field";
import { createPasskey, PasskeyCeremonyError } from "~/components/auth/passkey-client";
import { ConfirmDialog } from "~/components/confirm-dialog";
import { formatDate, formatDateTime, formatRelative } from "~/components/format";
import { RequestErrorAlert, RequestErrorMessage } from "~/components/request-error";
import { useTimeZone } from "~/components/time-zone";
import { useFocusFirstError } from "~/components/use-focus-first-error";
import { api, type RouterOutputs } from "~/trpc/react";
import styles from "./account.module.css";

type FieldErrors = Partial<Record<string, string[]>> | undefined;
type Passkey = RouterOutputs["passkeys"]["list"][number];

/**
 * The account's passkeys, inside the Two-factor authentication section: add one (named first), rename, remove.
 * The first second factor brings recovery codes (`onRecoveryCodes`, shown by the section); the last one removed takes
 * them away.
 */
export function PasskeysSection({
  onRecoveryCodes,
  onRemoved,
}: {
  onRecoveryCodes(codes: string[]): void;
  onRemoved(removed: { name: string; twoFactorOff: boolean }): void;
}) {
  const utils = api.useUtils();
  const timeZone = useTimeZone();
  const passkeys = api.passkeys.list.useQuery();
  const [renaming, setRenaming] = useState<string | null>(null);
  const [removing, setRemoving] = useState<Passkey | null>(null);
  const [announcement, setAnnouncement] = useState("");
  const remove = api.passkeys.remove.useMutation({
    onSuccess: async (removed) => {
      setRemoving(null);
      setAnnouncement(`Passkey “${removed.name}” removed.`);
      onRemoved(removed);
      await Promise.all([utils.passkeys.list.invalidate(), utils.twoFactor.status.invalidate()]);
    },
    onError: () => setRemoving(null),
  });

  return (
    <section aria-labelledby="passkeys-heading">
      <h3 id="passkeys-heading">Passkeys</h3>
      <p className="muted">
        A passkey confirms it is you with your fingerprint, face or device PIN: after your password, or instead of both. It stays on your
        device (or your password manager), works only on this site, and cannot be phished.
      </p>
      {passkeys.isPending && <p role="status">Loading passkeys…</p>}
      {passkeys.error && <RequestErrorAlert error={passkeys.error} attempt="load your passkeys" />}
      {passkeys.data && passkeys.data.length === 0 && <p>No passkeys yet.</p>}
      {passkeys.data && passkeys.data.length > 0 && (
        <ul className={styles.sessions} aria-labelledby="passkeys-heading">
          {passkeys.data.map((passkey) =>
            renaming === passkey.id ? (
              <li key={passkey.id} className={styles.session}>
                <RenamePasskeyForm
                  passkey={passkey}
                  onDone={(renamedTo) => {
                    setRenaming(null);
                    if (renamedTo) setAnnouncement(`Passkey renamed to “${renamedTo}”.`);
                  }}
                />
              </li>
            ) : (
              <li key={passkey.id} className={styles.session}>
                <div id={`passkey-${passkey.id}`}>
                  <strong>{passkey.name}</strong>
                  <br />
                  <span className="muted">
                    Added <time dateTime={passkey.createdAt.toISOString()}>{formatDate(passkey.createdAt, timeZone)}</time>
                    {" · "}
                    {passkey.lastUsedAt ? (
                      <>
                        last used{" "}
                        <time dateTime={passkey.lastUsedAt.toISOString()} title={formatDateTime(passkey.lastUsedAt, timeZone)}>
                          {formatRelative(passkey.lastUsedAt)}
                        </time>
                      </>
                    ) : (
                      "never used"
                    )}
                  </span>
                </div>
                <p className="actions">
                  <button type="button" aria-describedby={`passkey-${passkey.id}`} onClick={() => setRenaming(passkey.id)}>
                    Rename
                  </button>
                  <button type="button" aria-describedby={`passkey-${passkey.id}`} onClick={() => setRemoving(passkey)} disabled={remove.isPending}>
                    Remove
                  </button>
                </p>
              </li>
            ),
          )}
        </ul>
      )}
      {remove.error && <RequestErrorAlert error={remove.error} attempt="remove the passkey" />}
      <p role="status" className="visually-hidden">
        {announcement}
      </p>
      <AddPasskeyForm onRecoveryCodes={onRecoveryCodes} />
      <RemovePasskeyDialog passkey={removing} onConfirm={(passkey) => remove.mutate({ id: passkey.id })} onCancel={() => setRemoving(null)} />
    </section>
  );
}

function AddPasskeyForm({ onRecoveryCodes }: { onRecoveryCodes(codes: string[]): void }) {
  const utils = api.useUtils();
  const formRef = useRef<HTMLFormElement>(null);
  const options = api.passkeys.registrationOptions.useMutation();
  const add = api.passkeys.add.useMutation();
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [added, setAdded] = useState<string | null>(null);
  // Field errors (the name) come from either call; anything else is said for the form.
  const fieldErrors: FieldErrors = options.error?.data?.zodError?.fieldErrors ?? add.error?.data?.zodError?.fieldErrors;
  // A refusal marks the name, or leaves focus on the field to try again (the button was disabled meanwhile).
  useFocusFirstError(formRef, failure, "#passkey-name");

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const name = String(new FormData(form).get("passkey-name") ?? "");
    setFailure(null);
    setAdded(null);
    options.reset();
    add.reset();
    setBusy(true);
    try {
      const creation = await options.mutateAsync({ name });
      const passkey = await add.mutateAsync({ name, response: await createPasskey(creation) });
      form.reset();
      setAdded(passkey.name);
      if (passkey.recoveryCodes) onRecoveryCodes(passkey.recoveryCodes);
      await Promise.all([utils.passkeys.list.invalidate(), utils.twoFactor.status.invalidate()]);
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form ref={formRef} method="post" className={`stack ${styles.subform}`} onSubmit={(event) => void onSubmit(event)} noValidate aria-busy={busy}>
      <h4 id="add-passkey-heading">Add a passkey</h4>
      <FormField
        id="passkey-name"
        label="Passkey name"
        type="text"
        autoComplete="off"
        required
        maxLength={64}
        hint="So you can tell your passkeys apart, like “Work laptop” or “Phone”. Your browser then asks you to create the passkey."
        error={fieldErrors?.name?.[0]}
      />
      {failure !== null && !fieldErrors && (
        <p className="form-error" role="alert">
          {failure instanceof PasskeyCeremonyError ? failure.message : <RequestErrorMessage error={failure} attempt="add the passkey" />}
        </p>
      )}
      <p className="actions">
        <button type="submit" className="primary" disabled={busy}>
          Add passkey
        </button>
        <span role="status">{added ? `Added “${added}”. You can sign in with it now.` : ""}</span>
      </p>
    </form>
  );
}

function RenamePasskeyForm({ passkey, onDone }: { passkey: Passkey; onDone(renamedTo: string | null): void }) {
  const utils = api.useUtils();
  const formRef = useRef<HTMLFormElement>(null);
  const rename = api.passkeys.rename.useMutation({
    onSuccess: async (_result, input) => {
      await utils.passkeys.list.invalidate();
      onDone(input.name);
    },
  });
  const fieldErrors: FieldErrors = rename.error?.data?.zodError?.fieldErrors;
  const fieldId = `rename-passkey-${passkey.id}`;
  useFocusFirstError(formRef, rename.error);

  useEffect(() => {
    document.getElementById(fieldId)?.focus();
  }, [fieldId]);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    rename.mutate({ id: passkey.id, name: String(new FormData(event.currentTarget).get(fieldId) ?? "") });
  }

  return (
    <form ref={formRef} method="post" className={`stack ${styles.rename}`} onSubmit={onSubmit} noValidate aria-busy={rename.isPending}>
      <FormField id={fieldId} label={`New name for “${passkey.name}”`} type="text" autoComplete="off" required maxLength={64} defaultValue={passkey.name} error={fieldErrors?.name?.[0]} />
      {rename.error && !fieldErrors && <RequestErrorAlert error={rename.error} attempt="rename the passkey" />}
      <p className="actions">
        <button type="submit" className="primary" disabled={rename.isPending}>
          Save name
        </button>
        <button type="button" onClick={() => onDone(null)}>
          Cancel
        </button>
      </p>
    </form>
  );
}

/** A modal confirmation before removing a passkey; Escape and Keep passkey leave it alone. */
function RemovePasskeyDialog({ passkey, onConfirm, onCancel }: { passkey: Passkey | null; onConfirm(passkey: Passkey): void; onCancel(): void }) {
  return (
    <ConfirmDialog
      open={passkey !== null}
      id="remove-passkey"
      title={passkey && <>Remove passkey “{passkey.name}”?</>}
      description="It will no longer sign you in to Carestral. The passkey itself stays on your device until you delete it there."
      safeLabel="Keep passkey"
      confirmLabel="Remove passkey"
      onConfirm={() => passkey && onConfirm(passkey)}
      onClose={onCancel}
    />
  );
}
