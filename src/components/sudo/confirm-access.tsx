"use client";

import { createContext, useCallback, useContext, useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";
import { FormField } from "~/components/auth/form-field";
import { getPasskeyAssertion, PasskeyCeremonyError } from "~/components/auth/passkey-client";
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

function ConfirmAccessDialog({ open, onFinish }: { open: boolean; onFinish(confirmed: boolean): void }) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const confirmedRef = useRef(false);
  function onConfirmed() {
    confirmedRef.current = true;
    dialogRef.current?.close();
  }
  const confirmAccess = api.auth.confirmAccess.useMutation({ onSuccess: onConfirmed });
  // A passkey of the account, where it has one, as the other way to confirm.
  const passkeys = api.passkeys.list.useQuery(undefined, { enabled: open });
  const passkeyOptions = api.auth.confirmAccessPasskeyOptions.useMutation();
  const passkeyConfirm = api.auth.confirmAccessWithPasskey.useMutation({ onSuccess: onConfirmed });
  const [passkeyFailure, setPasskeyFailure] = useState<unknown>(null);
  const passkeyBusy = passkeyOptions.isPending || passkeyConfirm.isPending;
  const fieldErrors: Partial<Record<string, string[]>> | undefined = confirmAccess.error?.data?.zodError?.fieldErrors;
  const fieldError = fieldErrors?.password?.[0];

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

  // After a wrong password, back to the field with it selected, ready for another try.
  useEffect(() => {
    if (!confirmAccess.error) return;
    formRef.current?.querySelector<HTMLInputElement>("input[type=password]")?.select();
  }, [confirmAccess.error]);

  function onClose() {
    const confirmed = confirmedRef.current;
    confirmAccess.reset();
    setPasskeyFailure(null);
    onFinish(confirmed);
  }

  async function confirmWithPasskey() {
    setPasskeyFailure(null);
    try {
      const options = await passkeyOptions.mutateAsync();
      await passkeyConfirm.mutateAsync({ response: await getPasskeyAssertion(options, "preferred") });
    } catch (error) {
      setPasskeyFailure(error);
    }
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    confirmAccess.mutate({ password: String(form.get("confirm-access-password") ?? "") });
  }

  return (
    <dialog ref={dialogRef} aria-labelledby="confirm-access-heading" aria-describedby="confirm-access-description" onClose={onClose}>
      {open && (
        // method="post": without the script, nothing typed reaches the address bar.
        <form ref={formRef} method="post" className="stack" onSubmit={onSubmit} noValidate aria-busy={confirmAccess.isPending}>
          <h2 id="confirm-access-heading">Confirm access</h2>
          <p id="confirm-access-description">
            This change needs your password again{(passkeys.data?.length ?? 0) > 0 ? ", or one of your passkeys" : ""}. Once confirmed, you will not be
            asked again for 10 minutes.
          </p>
          <FormField id="confirm-access-password" label="Password" type="password" autoComplete="current-password" required error={fieldError} />
          {confirmAccess.error && !fieldError && <RequestErrorAlert error={confirmAccess.error} attempt="confirm access" />}
          {passkeyFailure !== null &&
            (passkeyFailure instanceof PasskeyCeremonyError ? (
              <p className="form-error" role="alert">
                {passkeyFailure.message}
              </p>
            ) : (
              <RequestErrorAlert error={passkeyFailure} attempt="confirm access with a passkey" />
            ))}
          <p className="actions">
            <button type="submit" className="primary" disabled={confirmAccess.isPending || passkeyBusy}>
              Confirm
            </button>
            {(passkeys.data?.length ?? 0) > 0 && (
              <button type="button" onClick={() => void confirmWithPasskey()} disabled={confirmAccess.isPending || passkeyBusy}>
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
