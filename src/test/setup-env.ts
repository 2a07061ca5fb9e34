import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";

// A test that reaches the app's own database (getDb) gets a throwaway PGlite folder, never the
// developer's .data/pglite: PGlite has no lock between processes.
process.env.PGLITE_DIR = mkdtempSync(path.join(os.tmpdir(), "carestral-vitest-"));
