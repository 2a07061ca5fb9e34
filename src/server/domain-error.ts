/**
 * An expected failure that the caller can fix: the message says what to change, and is safe to show
 * to a person or a model. `kind` lets each adapter pick its status (tRPC code, MCP isError).
 */
export class DomainError extends Error {
  constructor(
    readonly kind: "not_found" | "invalid" | "conflict",
    message: string,
  ) {
    super(message);
    this.name = "DomainError";
  }
}
