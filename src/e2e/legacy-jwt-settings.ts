// The Option A settings the e2e server runs with (playwright.config.ts), so that specs can mint the older
// system's JWTs. Test values only.
export const E2E_LEGACY_JWT = {
  MCP_JWT_SECRET: "e2e-option-a-secret-of-at-least-32-characters",
  MCP_JWT_ISSUER: "https://old-system.example.test",
  MCP_JWT_AUDIENCE: "carestral-mcp",
} as const;
