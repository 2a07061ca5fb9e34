"use client";

import { useEffect, useRef } from "react";
import { useConfirmAccess } from "~/components/sudo/confirm-access";

/**
 * Allow and Deny of the consent form (a plain form post). Allowing a scope in `sudoScopes` from a session out
 * of sudo mode first opens the Confirm access prompt, then posts the same form, choices kept; cancelled, nothing
 * is sent. The decision route checks again, so this only spares a round trip back to the page.
 * `sudoRemainingMs`: how long the session stays in sudo mode, as the server counted it when rendering.
 */
export function ConsentDecision({
  sudoRemainingMs,
  sudoScopes,
  fields,
}: {
  sudoRemainingMs: number;
  sudoScopes: string[];
  /** The form's field names (CONSENT_FIELDS). */
  fields: { decision: string; granted: string };
}) {
  const { decision: decisionField, granted: grantedField } = fields;
  const allowRef = useRef<HTMLButtonElement>(null);
  const confirmAccess = useConfirmAccess();

  useEffect(() => {
    const allow = allowRef.current;
    const form = allow?.form;
    if (!allow || !form) return;
    // Counted from here, not from the browser's clock, which may disagree with the server's.
    let sudoUntil = Date.now() + sudoRemainingMs;
    function needsSudo(form: HTMLFormElement): boolean {
      const granted = new FormData(form).getAll(grantedField);
      return Date.now() >= sudoUntil && sudoScopes.some((scope) => granted.includes(scope));
    }
    function onSubmit(event: SubmitEvent) {
      if (event.submitter !== allow || !form || !needsSudo(form)) return;
      event.preventDefault();
      void confirmAccess().then((confirmed) => {
        if (!confirmed) return;
        sudoUntil = Number.POSITIVE_INFINITY;
        form.requestSubmit(allow);
      });
    }
    form.addEventListener("submit", onSubmit);
    return () => form.removeEventListener("submit", onSubmit);
  }, [confirmAccess, sudoRemainingMs, sudoScopes, grantedField]);

  return (
    <div className="actions">
      <button ref={allowRef} type="submit" name={decisionField} value="allow" className="primary">
        Allow
      </button>
      <button type="submit" name={decisionField} value="deny">
        Deny
      </button>
    </div>
  );
}
