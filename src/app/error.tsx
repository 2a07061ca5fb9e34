"use client";

import Link from "next/link";

// What a person sees when a page fails to render (the database is down, an unexpected error): a plain
// sentence and a way to try again, never a stack trace. Details stay in the server log.
export default function PageError({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <main id="main" tabIndex={-1} className="page narrow">
      <h1>Something went wrong</h1>
      <p role="alert">
        Carestral could not load this page. If the service is being restarted or its database is unreachable, this
        usually passes within a minute: try again then. If you run Carestral yourself, the server log says what failed.
      </p>
      <p className="actions">
        <button type="button" className="primary" onClick={() => reset()}>
          Try again
        </button>
        <Link className="button" href="/">
          Home
        </Link>
      </p>
    </main>
  );
}
