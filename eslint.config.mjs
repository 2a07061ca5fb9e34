import { defineConfig, globalIgnores } from "eslint/config";
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";
import drizzle from "eslint-plugin-drizzle";

export default defineConfig([
  ...nextVitals,
  ...nextTs,
  {
    plugins: { drizzle },
    rules: {
      // A delete or update without where() empties or rewrites a whole table.
      "drizzle/enforce-delete-with-where": ["error", { drizzleObjectName: ["db", "tx"] }],
      "drizzle/enforce-update-with-where": ["error", { drizzleObjectName: ["db", "tx"] }],
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-non-null-assertion": "error",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // Arrows point inward (STYLE.md): domain code never imports an adapter (tRPC, MCP) or a route. Tests may: they
    // drive the domain through its routers and its MCP server.
    files: ["src/server/**/*.{ts,tsx}"],
    ignores: ["src/server/api/**", "src/server/mcp/**", "src/**/*.test.ts"],
    rules: {
      "import/no-restricted-paths": [
        "error",
        {
          zones: [
            {
              target: "./src/server",
              from: ["./src/server/api", "./src/server/mcp", "./src/app"],
              message: "Domain code does not import an adapter (server/api, server/mcp) or a route (app/): move what both need into the domain.",
            },
          ],
        },
      ],
    },
  },
  {
    // UI pieces take from server/ only types and the modules of rules shared with the browser (schemas, time zones).
    // The server components listed read the server themselves.
    files: ["src/components/**/*.{ts,tsx}"],
    ignores: ["src/components/oauth/sign-in-context.tsx", "src/components/origin-notice.tsx", "src/components/account/verify-email-banner.tsx"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^~/server/(?![a-z-]+/schemas$|account/time-zone$)",
              allowTypeImports: true,
              message: "Components import only types and schemas from server/: pass what the server computes as a prop, or use the tRPC client.",
            },
          ],
        },
      ],
    },
  },
  globalIgnores([".next/**", ".next-*/**", "bench/peer/.next-peer/**", ".data/**", "node_modules/**", "test-results/**", "playwright-report/**", "bench-results/**", "next-env.d.ts"]),
]);
