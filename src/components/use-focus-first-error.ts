"use client";

import { useEffect, type RefObject } from "react";

/**
 * After a failed submit, focus goes to the first field in error (aria-invalid), else to `fallback` (a selector
 * inside the form, e.g. the password of a refused sign-in). Without it focus is lost to <body>: the submit
 * button disables itself while the request runs. `failure` is the mutation's error: a new one each attempt.
 */
export function useFocusFirstError(formRef: RefObject<HTMLFormElement | null>, failure: unknown, fallback?: string): void {
  useEffect(() => {
    if (!failure) return;
    const form = formRef.current;
    if (!form) return;
    const target = form.querySelector<HTMLElement>('[aria-invalid="true"]') ?? (fallback ? form.querySelector<HTMLElement>(fallback) : null);
    target?.focus();
  }, [formRef, failure, fallback]);
}
