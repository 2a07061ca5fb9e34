import path from "node:path";

// The benchmark's peer: the MCP SDK in a bare Next.js route (see scripts/bench/mcp-http.ts). Its own build
// folder, and the repository's node_modules (Turbopack's root must contain them).
const nextConfig = {
  distDir: ".next-peer",
  turbopack: { root: path.resolve(import.meta.dirname, "../..") },
};

export default nextConfig;
