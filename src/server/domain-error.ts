/** What kind of refusal a DomainError is; each adapter maps it to its own status (tRPC code, MCP isError). */
export type DomainErrorKind = "invalid" | "not_found" | "conflict" | "forbidden" | "unauthorized";

/**
 * An expected failure that the caller can fix: the message says what to change, and is safe to show
 * to a person or a model. `field` names the input it is about, so a form can show it by that field.
 */
export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "DomainError";
  }
}
