// The peer has no start-up work. Without this file the build takes the app's src/instrumentation.ts (Turbopack's
// root is the repository), and the floor would open a PGlite database and run the app's background jobs.
export function register() {}
