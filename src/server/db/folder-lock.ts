import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";

// PGlite is a database in one process: it has no lock between processes. Two servers on one folder (`npm run
// dev` beside `npm start`) each wrote what the other could not see, and the folder was unusable after a restart
// (issue 19, item 8). So a process takes the folder with a lock file beside it holding its pid, created
// exclusively; a lock whose process is gone (a crash, `kill -9`) is stale and taken over.

/** The error a second process gets; instrumentation-node.ts stops the server on it. */
export class DatabaseFolderLockedError extends Error {
  readonly code = "DATABASE_FOLDER_LOCKED";
  constructor(
    readonly folder: string,
    readonly pid: number,
    readonly lockFile: string,
  ) {
    super(
      `The PGlite database folder ${folder} is in use by process ${pid} (another Carestral server, e.g. npm run dev or ` +
        `npm start). Two processes on one folder destroy it. Stop that process, or give this one its own folder with ` +
        `PGLITE_DIR, or use PostgreSQL with DATABASE_URL. If process ${pid} is not a Carestral server, delete ${lockFile}.`,
    );
    this.name = "DatabaseFolderLockedError";
  }
}

export interface FolderLock {
  readonly file: string;
  release(): void;
}

/** The lock file of a data folder: beside it, so PGlite's own folder holds only PostgreSQL's files. */
export function lockFileOf(dataDir: string): string {
  const folder = path.resolve(dataDir);
  return path.join(path.dirname(folder), `${path.basename(folder)}.lock`);
}

/** Takes the folder for this process, or throws DatabaseFolderLockedError naming the process that holds it. */
export function lockDatabaseFolder(dataDir: string): FolderLock {
  const folder = path.resolve(dataDir);
  const file = lockFileOf(folder);
  mkdirSync(path.dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o644);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      return heldLock(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = readHolder(file);
    // This process already holds it (the database reopened after a failed start): keep it.
    if (holder === process.pid) return heldLock(file);
    if (holder !== null && isRunning(holder)) throw new DatabaseFolderLockedError(folder, holder, file);
    // Stale (its process is gone) or unreadable (a crash while writing it): remove it and try again.
    try {
      unlinkSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  throw new Error(`Could not take the lock file ${file} for the PGlite database folder.`);
}

function heldLock(file: string): FolderLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off("exit", release);
    // Only our own lock: another process may have taken over a lock we left.
    if (readHolder(file) === process.pid) {
      try {
        unlinkSync(file);
      } catch {
        // Already gone.
      }
    }
  };
  // A process that exits without closing the database (an error, process.exit) still lets go of the folder.
  process.on("exit", release);
  return { file, release };
}

function readHolder(file: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(file, "utf8").trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
