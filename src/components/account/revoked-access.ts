// How the pages say what ending someone's access did: "2 sessions signed out; 1 API token and 1 connected app revoked."

interface RevokedAccess {
  sessions: number;
  tokens: number;
  apps: number;
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function describeRevokedAccess({ sessions, tokens, apps }: RevokedAccess, sessionWord = "session"): string {
  const signedOut = `${count(sessions, sessionWord, `${sessionWord}s`)} signed out`;
  const revoked = `${count(tokens, "API token", "API tokens")} and ${count(apps, "connected app", "connected apps")} revoked`;
  return `${signedOut}; ${revoked}.`;
}

/** The checkbox label shared by the password change and Sign out everywhere else. */
export const REVOKE_ACCESS_LABEL = "Also revoke every API token and connected app";
