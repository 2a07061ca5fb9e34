import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "./server";

/**
 * A private PostgreSQL server that a test starts, stops and restarts itself (fault tests), on a free
 * loopback port with trust auth. Needs PostgreSQL's server binaries (Debian: postgresql).
 */
export interface PostgresCluster {
  url: string;
  start(): void;
  /** Immediate shutdown: open connections are cut, as when a database host fails. */
  stop(): void;
  destroy(): void;
}

export function findPostgresBinDir(): string | undefined {
  try {
    const dir = execFileSync("pg_config", ["--bindir"], { encoding: "utf8" }).trim();
    if (existsSync(path.join(dir, "initdb"))) return dir;
  } catch {
    // pg_config not on PATH: look where Debian puts the server.
  }
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  return versions.map((version) => path.join(root, version, "bin")).find((dir) => existsSync(path.join(dir, "initdb")));
}

export async function createPostgresCluster(): Promise<PostgresCluster> {
  const binDir = findPostgresBinDir();
  if (!binDir) throw new Error("PostgreSQL server binaries (initdb, pg_ctl) not found");
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "carestral-pg-"));
  // initdb refuses to run as root: run the server as the postgres user then.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dataDir, uid, gid);
  }
  const run = (binary: string, args: string[]) => {
    const command = path.join(binDir, binary);
    execFileSync(asRoot ? "runuser" : command, asRoot ? ["-u", "postgres", "--", command, ...args] : args, {
      stdio: ["ignore", "ignore", "pipe"],
      cwd: os.tmpdir(),
    });
  };
  run("initdb", ["-D", dataDir, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const serverOptions = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories= -c fsync=off -c max_connections=200`;
  const cluster: PostgresCluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start: () => run("pg_ctl", ["-D", dataDir, "-o", serverOptions, "-l", path.join(dataDir, "server.log"), "-w", "start"]),
    stop: () => run("pg_ctl", ["-D", dataDir, "-m", "immediate", "-w", "stop"]),
    destroy() {
      try {
        cluster.stop();
      } catch {
        // already stopped
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  cluster.start();
  return cluster;
}
