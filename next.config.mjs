import os from "node:os";

// `next dev` serves its scripts only to the hosts it trusts; a page opened on 127.0.0.1 or on the
// "Network" address it prints would never hydrate. Trust this machine's own addresses.
function localHosts() {
  const addresses = Object.values(os.networkInterfaces())
    .flat()
    .filter((entry) => entry && entry.family === "IPv4")
    .map((entry) => entry.address);
  return [...new Set(["localhost", "127.0.0.1", ...addresses])];
}

/** @type {import("next").NextConfig} */
const nextConfig = {
  // PGlite ships WASM and data files that must be loaded from node_modules, not bundled.
  serverExternalPackages: ["@electric-sql/pglite", "@node-rs/argon2"],
  poweredByHeader: false,
  allowedDevOrigins: localHosts(),
  experimental: {
    // Next.js buffers request bodies that pass through proxy.ts (10 MB by default) and silently cuts them
    // at this size. Twice our 1 MiB API limit (src/server/http/body-limit.ts): a cut body, made of socket
    // reads of at most 64 KiB, is still over 1 MiB, so the route answers 413, and no request holds more.
    proxyClientMaxBodySize: 2 * 1024 * 1024,
  },
  // Inlined at build time, so a production build can never turn on test-only switches (the CIMD fetch to a
  // local test server, src/server/oauth/client-metadata/fetch.ts), whatever its runtime environment says.
  env: { CARESTRAL_TEST_BUILD: process.env.CARESTRAL_TEST_BUILD === "1" ? "1" : "" },
  // Browsers check the service worker for updates on page loads; make every check reach the server.
  async headers() {
    return [{ source: "/sw.js", headers: [{ key: "Cache-Control", value: "no-cache" }] }];
  },
  // Tests build into their own folder so that a running `next dev` is never disturbed.
  distDir: process.env.NEXT_DIST_DIR || ".next",
};

export default nextConfig;
