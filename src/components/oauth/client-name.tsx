import type { ReactNode } from "react";

// How an OAuth client is named to the person: the name it gave (isolated, so a right-to-left name cannot turn
// the sentence around it), and, for self-declared names that mean little, what a person would recognise.

/** A client's name, isolated from the text around it (Unicode bidi isolation). */
export function ClientName({ name }: { name: string }): ReactNode {
  return <bdi>{name}</bdi>;
}

/**
 * What a person would recognise behind a self-declared name, or null. Only a hint beside the name, never in
 * its place: any client may call itself this (the page still says the name is unverified).
 */
export function recognisedClient(name: string, verifiedHost: string | null): string | null {
  if (verifiedHost) return null;
  // mcp-remote registers with this name; Claude Desktop runs it to reach remote MCP servers.
  if (name === "MCP CLI Proxy") return "mcp-remote (used by Claude Desktop)";
  return null;
}

/** The same isolation inside plain text (an aria-label, a title): FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE. */
export function isolated(name: string): string {
  return `\u2068${name}\u2069`;
}
