"use client";

import { useEffect, useState, type RefObject } from "react";

type CopyState = "idle" | "copied" | "failed";

interface CopyButtonProps {
  text: string;
  /** What the failure message selects instead, so copying by hand is one keystroke. */
  target: RefObject<HTMLElement | null>;
  /** Said after "Copy" to screen readers, so each button on the page has its own name; omit for plain "Copy". */
  what?: string;
  primary?: boolean;
}

export function CopyButton({ text, target, what, primary }: CopyButtonProps) {
  const [state, setState] = useState<CopyState>("idle");

  useEffect(() => {
    if (state !== "copied") return;
    const timer = setTimeout(() => setState("idle"), 4000);
    return () => clearTimeout(timer);
  }, [state]);

  async function copy() {
    try {
      if (!navigator.clipboard) throw new Error("Clipboard unavailable");
      await navigator.clipboard.writeText(text);
      setState("copied");
    } catch {
      // Denied permission or an insecure context: select the text instead.
      setState("failed");
      const selection = window.getSelection();
      if (target.current && selection) selection.selectAllChildren(target.current);
    }
  }

  return (
    <span className="copy">
      <button type="button" className={primary ? "primary" : undefined} onClick={copy}>
        Copy{what && <span className="visually-hidden"> {what}</span>}
      </button>{" "}
      <span role="status">
        {state === "copied" && "Copied"}
        {state === "failed" && "Could not copy automatically. The text is selected: press Ctrl+C (⌘C on a Mac)."}
      </span>
    </span>
  );
}
