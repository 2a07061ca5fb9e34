import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";

// A test that reaches the app's own database (getDb) gets a throwaway PGlite folder, never the
// developer's .data/pglite: PGlite has no lock between processes.
process.env.PGLITE_DIR = mkdtempSync(path.join(os.tmpdir(), "carestral-vitest-"));

// In-process tests call handleMcpRequest many times at once for one person: the per-person and per-token MCP
// limits are tested on their own (call-limits.test.ts, reliability/hardening.test.ts), not in every test.
process.env.MCP_CONCURRENCY_PER_USER ??= "1000";
process.env.MCP_RATE_LIMIT_PER_MINUTE ??= "1000000";

// In-process tests play server.mjs's part: the socket address header they set is the server's own.
process.env.CARESTRAL_SOCKET_ADDRESS_HEADER ??= "1";
