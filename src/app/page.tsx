import Link from "next/link";
import { getCurrentUserIfAvailable } from "~/server/auth/current-session";

export default async function HomePage({ searchParams }: { searchParams: Promise<{ deleted?: string | string[] }> }) {
  const user = await getCurrentUserIfAvailable();
  // Set by Delete account on its way here, so the person learns what happened.
  const deleted = !user && (await searchParams).deleted === "1";
  return (
    <main id="main" tabIndex={-1} className="page narrow">
      <h1>Carestral</h1>
      {deleted && (
        <p role="status" className="warning">
          Your account has been deleted, with your tokens and bookings. Every token stopped working.
        </p>
      )}
      <p className="lead">
        Give your AI assistant (Claude Desktop, Claude Code, Cursor, VS Code) safe, revocable access to your hospital
        data and bookings over the Model Context Protocol.
      </p>
      <ul className="features">
        <li>Create a personal access token with only the scopes you want to grant.</li>
        <li>Paste the ready-made setup into your AI client.</li>
        <li>Revoke it at any time: the very next request is refused.</li>
      </ul>
      <p className="actions">
        {user ? (
          <>
            <span>Signed in as {user.email}.</span>
            <Link className="button primary" href="/dashboard/tokens">
              Go to dashboard
            </Link>
          </>
        ) : (
          <>
            <Link className="button primary" href="/signup">
              Sign up
            </Link>
            <Link className="button" href="/login">
              Sign in
            </Link>
          </>
        )}
      </p>
    </main>
  );
}
