import { SpanStatusCode, trace, type Attributes, type Span } from "@opentelemetry/api";
import { currentRequestId } from "./logger";

// Our own spans, beside Next.js's: each MCP call, token verification and PostgreSQL query. Only the OpenTelemetry
// API is loaded here: its tracer does nothing (no span is recorded or exported) until src/instrumentation-node.ts
// registers a provider, which it does only with OTEL_EXPORTER_OTLP_ENDPOINT set. Attribute values are ids, names
// from closed sets and outcomes: never a token, an argument or a query's parameters.

const TRACER_NAME = "carestral";

function spanAttributes(attributes: Attributes): Attributes {
  const requestId = currentRequestId();
  return requestId ? { ...attributes, "carestral.request_id": requestId } : attributes;
}

/** Starts a span, child of the active one, carrying the request id; the caller ends it. */
export function startSpan(name: string, attributes: Attributes = {}): Span {
  return trace.getTracer(TRACER_NAME).startSpan(name, { attributes: spanAttributes(attributes) });
}

/** Runs `work` in a span (the active one meanwhile, so spans started inside are its children), marked failed if it throws. */
export function inSpan<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T>): Promise<T> {
  return trace.getTracer(TRACER_NAME).startActiveSpan(name, { attributes: spanAttributes(attributes) }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Ends a span once `pending` settles, marked failed if it rejects. */
export function endSpanWhenSettled(span: Span, pending: PromiseLike<unknown>): void {
  pending.then(
    () => span.end(),
    () => {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  );
}
