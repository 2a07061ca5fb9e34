"use client";

import { createContext, useCallback, useContext, useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";
import { FormField } from "~/components/auth/form-field";
import { PasskeyCeremonyError } from "~/components/auth/passkey-client";
import { usePasskeyAssertion } from "~/components/auth/use-passkey-assertion";
import { RequestErrorAlert } from "~/components/request-error";
import { api } from "~/trpc/react";

/** Opens the Confirm access prompt; true once the session is in sudo mode, false if the person cancelled. */
export type ConfirmAccess = () => Promise<boolean>;

const ConfirmAccessContext = createContext<ConfirmAccess | null>(null);

/** The one Confirm access prompt, for code that must ask before sending a form itself (the OAuth consent page). */
export function useConfirmAccess(): ConfirmAccess {
  const confirm = useContext(ConfirmAccessContext);
  if (!confirm) throw new Error("useConfirmAccess needs ConfirmAccessProvider (TRPCReactProvider mounts it)");
  return confirm;
}

type Pending = { promise: Promise<boolean>; resolve(confirmed: boolean): void; returnFocus: Element | null };

/**
 * Sudo mode's prompt, mounted once for the whole app: a modal dialog that asks for the password, confirms it
 * (auth.confirmAccess) and answers whoever asked, the tRPC sudo link (any form's refused mutation) or
 * useConfirmAccess. Several callers at once share one prompt. Escape or Cancel answers false and leaves
 * everything behind the dialog as it was.
 */
export function ConfirmAccessProvider({ children, onMount }: { children: ReactNode; onMount(confirm: ConfirmAccess | null): void }) {
  const [open, setOpen] = useState(false);
  const pendingRef = useRef<Pending | null>(null);

  const confirm = useCallback<ConfirmAccess>(() => {
    if (pendingRef.current) return pendingRef.current.promise;
    let resolve: (confirmed: boolean) => void = () => {};
    const promise = new Promise<boolean>((settle) => (resolve = settle));
    pendingRef.current = { promise, resolve, returnFocus: document.activeElement };
    setOpen(true);
    return promise;
  }, []);

  useEffect(() => {
    onMount(confirm);
    return () => onMount(null);
  }, [onMount, confirm]);

  const finish = useCallback((confirmed: boolean) => {
    const pending = pendingRef.current;
    pendingRef.current = null;
    setOpen(false);
    if (!pending) return;
    if (pending.returnFocus instanceof HTMLElement && pending.returnFocus.isConnected) pending.returnFocus.focus();
    pending.resolve(confirmed);
  }, []);

  return (
    <ConfirmAccessContext.Provider value={confirm}>
      {children}
      <ConfirmAccessDialog open={open} onFinish={finish} />
    </ConfirmAccessContext.Provider>
  );
}

type ConfirmWith = "password" | "code";

/** "your password again, a code from your authenticator app, or one of your passkeys": the ways this account has. */
function waysToConfirm(hasApp: boolean, hasPasskeys: boolean): string {
  const others = [hasApp && "a code from your authenticator app", hasPasskeys && "one of your passkeys"].filter(Boolean);
  if (others.length === 0) return "your password again";
  return `your password again, ${others.slice(0, -1).map((way) => `${way}, `).join("")}or ${others.at(-1)}`;
}

function ConfirmAccessDialog({ open, onFinish }: { open: boolean; onFinish(confirmed: boolean): void }) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const confirmedRef = useRef(false);
  const [confirmWith, setConfirmWith] = useState<ConfirmWith>("password");
  // Confirmed with a recovery code: how many are left, said before the dialog closes.
  const [recoveryCodesLeft, setRecoveryCodesLeft] = useState<number | null>(null);
  function onConfirmed() {
    confirmedRef.current = true;
    dialogRef.current?.close();
  }
  const confirmAccess = api.auth.confirmAccess.useMutation({ onSuccess: onConfirmed });
  const codeConfirm = api.auth.confirmAccessWithCode.useMutation({
    onSuccess(result) {
      if (result.recoveryCodesLeft === null) onConfirmed();
      else {
        confirmedRef.current = true;
        setRecoveryCodesLeft(result.recoveryCodesLeft);
      }
    },
  });
  // The account's other ways to confirm: a passkey, an authenticator app (or its recovery codes).
  const passkeys = api.passkeys.list.useQuery(undefined, { enabled: open });
  const twoFactor = api.twoFactor.status.useQuery(undefined, { enabled: open });
  const hasPasskeys = (passkeys.data?.length ?? 0) > 0;
  const hasApp = Boolean(twoFactor.data?.totpEnabledAt);
  const passkeyOptions = api.auth.confirmAccessPasskeyOptions.useMutation();
  const passkeyConfirm = api.auth.confirmAccessWithPasskey.useMutation({ onSuccess: onConfirmed });
  const passkey = usePasskeyAssertion({
    options: () => passkeyOptions.mutateAsync(),
    verify: (response) => passkeyConfirm.mutateAsync({ response }),
    userVerification: "preferred",
  });
  const busy = confirmAccess.isPending || codeConfirm.isPending || passkey.busy;
  const submitted = confirmWith === "password" ? confirmAccess : codeConfirm;
  const fieldErrors: Partial<Record<string, string[]>> | undefined = submitted.error?.data?.zodError?.fieldErrors;
  const fieldError = fieldErrors?.[confirmWith]?.[0];
  const fieldSelector = confirmWith === "password" ? "input[type=password]" : "input[name=confirm-access-code]";

  useEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      confirmedRef.current = false;
      dialog.showModal();
      formRef.current?.querySelector<HTMLInputElement>("input[type=password]")?.focus();
    }
    if (!open && dialog.open) dialog.close();
  }, [open]);

  // After a wrong password or code, back to the field with it selected, ready for another try.
  useEffect(() => {
    if (!submitted.error) return;
    formRef.current?.querySelector<HTMLInputElement>(fieldSelector)?.select();
  }, [submitted.error, fieldSelector]);

  function switchTo(way: ConfirmWith) {
    confirmAccess.reset();
    codeConfirm.reset();
    passkey.reset();
    setConfirmWith(way);
  }

  // The field of the way just chosen takes the focus (the button that chose it is gone).
  useEffect(() => {
    if (!open) return;
    formRef.current?.querySelector<HTMLInputElement>(confirmWith === "password" ? "input[type=password]" : "input[name=confirm-access-code]")?.focus();
  }, [confirmWith, open]);

  function onClose() {
    const confirmed = confirmedRef.current;
    confirmAccess.reset();
    codeConfirm.reset();
    passkey.reset();
    setConfirmWith("password");
    setRecoveryCodesLeft(null);
    onFinish(confirmed);
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    if (confirmWith === "password") confirmAccess.mutate({ password: String(form.get("confirm-access-password") ?? "") });
    else codeConfirm.mutate({ code: String(form.get("confirm-access-code") ?? "") });
  }

  return (
    <dialog ref={dialogRef} aria-labelledby="confirm-access-heading" aria-describedby="confirm-access-description" onClose={onClose}>
      {open && recoveryCodesLeft !== null && (
        <div className="stack">
          <h2 id="confirm-access-heading">Confirm access</h2>
          <p id="confirm-access-description" role="status">
            Access confirmed with a recovery code, which cannot be used again.{" "}
            {recoveryCodesLeft === 0
              ? "That was your last one: make a new set under Two-factor authentication in your settings."
              : `You have ${recoveryCodesLeft} recovery code${recoveryCodesLeft === 1 ? "" : "s"} left.`}
          </p>
          <p className="actions">
            {/* autoFocus: the form that held the focus is gone; Continue sends the change that was waiting. */}
            <button type="button" className="primary" autoFocus onClick={() => dialogRef.current?.close()}>
              Continue
            </button>
          </p>
        </div>
      )}
      {open && recoveryCodesLeft === null && (
        // method="post": without the script, nothing typed reaches the address bar.
        <form ref={formRef} method="post" className="stack" onSubmit={onSubmit} noValidate aria-busy={busy}>
          <h2 id="confirm-access-heading">Confirm access</h2>
          <p id="confirm-access-description">
            This change needs {waysToConfirm(hasApp, hasPasskeys)}. Once confirmed, you will not be asked again for 10 minutes.
          </p>
          {confirmWith === "password" ? (
            <FormField key="password" id="confirm-access-password" label="Password" type="password" autoComplete="current-password" required error={fieldError} />
          ) : (
            <FormField
              key="code"
              id="confirm-access-code"
              label="Code"
              hint="The 6-digit code your authenticator app shows, or one of your recovery codes."
              autoComplete="one-time-code"
              spellCheck={false}
              autoCapitalize="off"
              required
              error={fieldError}
            />
          )}
          {submitted.error && !fieldError && <RequestErrorAlert error={submitted.error} attempt="confirm access" />}
          {passkey.failure !== null &&
            (passkey.failure instanceof PasskeyCeremonyError ? (
              <p className="form-error" role="alert">
                {passkey.failure.message}
              </p>
            ) : (
              <RequestErrorAlert error={passkey.failure} attempt="confirm access with a passkey" />
            ))}
          <p className="actions">
            <button type="submit" className="primary" disabled={busy}>
              Confirm
            </button>
            {hasApp && confirmWith === "password" && (
              <button type="button" onClick={() => switchTo("code")} disabled={busy}>
                Use authenticator app
              </button>
            )}
            {confirmWith === "code" && (
              <button type="button" onClick={() => switchTo("password")} disabled={busy}>
                Use your password
              </button>
            )}
            {hasPasskeys && (
              <button type="button" onClick={() => void passkey.start()} disabled={busy}>
                Use a passkey
              </button>
            )}
            <button type="button" onClick={() => dialogRef.current?.close()}>
              Cancel
            </button>
          </p>
        </form>
      )}
    </dialog>
  );
}
