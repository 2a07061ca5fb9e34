import type { Metadata } from "next";
import Link from "next/link";
import styles from "~/components/auth/auth.module.css";

export const metadata: Metadata = { title: "Page not found" };

export default function NotFound() {
  return (
    <>
      <header className="site-header">
        <nav aria-label="Site">
          <Link href="/" className={styles.brand}>
            Carestral
          </Link>
        </nav>
      </header>
      <main id="main" tabIndex={-1} className="page narrow">
        <h1>Page not found</h1>
        <p>There is no page at this address. It may have moved, or the link may be mistyped.</p>
        <p className="actions">
          <Link className="button primary" href="/dashboard/tokens">
            Your API tokens
          </Link>
          <Link className="button" href="/">
            Home
          </Link>
        </p>
      </main>
    </>
  );
}
