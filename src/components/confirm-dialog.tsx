"use client";

import { useEffect, useRef, type FormEvent, type ReactNode, type RefObject } from "react";

/**
 * A modal confirmation before a change that cannot be taken back. The safe choice comes first and has
 * the focus when it opens, so a stray Enter changes nothing; it, Escape and the page closing the dialog
 * all end in onClose. Its content is there only while it is open (a form inside starts afresh).
 */
export function ConfirmDialog({
  open,
  id,
  title,
  description,
  children,
  safeLabel,
  confirmLabel,
  busy = false,
  formRef,
  onConfirm,
  onClose,
}: {
  open: boolean;
  /** Prefix of the ids that name (`${id}-heading`) and describe (`${id}-description`) the dialog. */
  id: string;
  title: ReactNode;
  description?: ReactNode;
  /** Fields or messages between the description and the buttons. */
  children?: ReactNode;
  safeLabel: string;
  confirmLabel: ReactNode;
  /** Disables both buttons while the change is under way. */
  busy?: boolean;
  formRef?: RefObject<HTMLFormElement | null>;
  /** The confirm button submits the dialog's form: its fields arrive here. */
  onConfirm(form: FormData): void;
  onClose(): void;
}) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const safeRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      dialog.showModal();
      // React's autoFocus runs before showModal(), which would focus the first field or button.
      safeRef.current?.focus();
    }
    if (!open && dialog.open) dialog.close();
  }, [open]);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    onConfirm(new FormData(event.currentTarget));
  }

  return (
    <dialog ref={dialogRef} aria-labelledby={`${id}-heading`} aria-describedby={description ? `${id}-description` : undefined} onClose={onClose}>
      {open && (
        <form ref={formRef} method="post" onSubmit={submit} noValidate aria-busy={busy}>
          <h2 id={`${id}-heading`}>{title}</h2>
          {description && <p id={`${id}-description`}>{description}</p>}
          {children}
          <p className="actions">
            <button type="button" ref={safeRef} onClick={() => dialogRef.current?.close()} disabled={busy}>
              {safeLabel}
            </button>
            <button type="submit" className="danger" disabled={busy}>
              {confirmLabel}
            </button>
          </p>
        </form>
      )}
    </dialog>
  );
}
