// `npm run account -- reset-password <email>` | `npm run account -- verify-email <email>`: for operators of a
// server that sends no mail (SMTP_URL unset). Works on DATABASE_URL (PostgreSQL) or the PGlite folder.
import { env } from "../src/env";
import { passwordResetLinkFor, verifyEmailFor } from "../src/server/account/operator";
import { openDatabase } from "../src/server/db/client";
import { DatabaseFolderLockedError } from "../src/server/db/folder-lock";

const USAGE = "Usage: npm run account -- reset-password <email>\n       npm run account -- verify-email <email>";

async function main(): Promise<number> {
  const [command, email, ...extra] = process.argv.slice(2);
  if (!command || !email || extra.length > 0 || !["reset-password", "verify-email"].includes(command)) {
    console.error(USAGE);
    return 2;
  }
  let handle;
  try {
    handle = await openDatabase(env.DATABASE_URL ? { engine: "postgres", url: env.DATABASE_URL } : { engine: "pglite", dataDir: env.PGLITE_DIR });
  } catch (error) {
    if (error instanceof DatabaseFolderLockedError) {
      // PGlite is one process per folder: this command cannot run beside the server that has it open.
      console.error(`${error.message}\nStop the server, run this command, then start the server again.`);
      return 1;
    }
    throw error;
  }
  try {
    // As the server does at start: a folder or database a version behind still answers.
    await handle.migrate();
    if (command === "reset-password") {
      const result = await passwordResetLinkFor(handle.db, email);
      if (!result.ok) {
        console.error(result.message);
        return 1;
      }
      // The link is the secret: printed here for the operator to hand over, never logged.
      console.log(
        `Give this link to the account's owner, privately (valid ${result.value.validMinutes} minutes, once; earlier reset links stop working):\n${result.value.link}\n` +
          "Choosing the new password ends their sessions and revokes their tokens and connected apps, as a mailed reset does.",
      );
    } else {
      const result = await verifyEmailFor(handle.db, email);
      if (!result.ok) {
        console.error(result.message);
        return 1;
      }
      console.log(result.value.alreadyVerified ? "That email was already verified." : "Email marked as verified.");
    }
    return 0;
  } finally {
    await handle.close();
  }
}

process.exitCode = await main();
