import type { StandardSchemaWithJSON } from "@modelcontextprotocol/server";
import type { z } from "zod";

type JsonSchema = Record<string, unknown>;

// Keywords that describe the field as a whole; they stay beside anyOf instead of moving into a branch.
const ANNOTATIONS = new Set(["description", "title", "default", "examples", "deprecated", "readOnly", "writeOnly"]);

const portable = new WeakMap<z.ZodObject, StandardSchemaWithJSON<unknown, unknown>>();

/**
 * A tool's zod schema as the SDK takes it, whose JSON Schema writes a nullable field as `anyOf` with
 * `{ "type": "null" }` rather than as a type array (`"type": ["string", "null"]`), which some clients and MCP
 * Inspector's `--strict` flag as less portable. Validation is zod's own. Each conversion is computed once per
 * process: tools/list would otherwise convert every schema on every request.
 */
export function portableSchema<S extends z.ZodObject>(schema: S): StandardSchemaWithJSON<z.input<S>, z.output<S>> {
  let wrapped = portable.get(schema) as StandardSchemaWithJSON<z.input<S>, z.output<S>> | undefined;
  if (!wrapped) {
    const standard = schema["~standard"];
    const converted = new Map<string, JsonSchema>();
    const convert =
      (io: "input" | "output") =>
      (options: Parameters<typeof standard.jsonSchema.input>[0]): JsonSchema => {
        const key = `${io}:${options.target}`;
        let json = converted.get(key);
        if (!json) {
          json = nullableAsAnyOf(standard.jsonSchema[io](options)) as JsonSchema;
          converted.set(key, json);
        }
        return json;
      };
    wrapped = { "~standard": { ...standard, jsonSchema: { input: convert("input"), output: convert("output") } } };
    portable.set(schema, wrapped);
  }
  return wrapped;
}

/** Rewrites every `type: [T, "null"]` in a JSON Schema as `anyOf: [{ type: T, … }, { type: "null" }]`. */
export function nullableAsAnyOf(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(nullableAsAnyOf);
  if (typeof node !== "object" || node === null) return node;
  const entries = Object.entries(node).map(([key, value]) => [key, nullableAsAnyOf(value)] as const);
  const schema: JsonSchema = Object.fromEntries(entries);
  const { type } = schema;
  if (!Array.isArray(type) || !type.includes("null") || type.length < 2) return schema;
  const kept: JsonSchema = {};
  const branch: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "type") continue;
    if (ANNOTATIONS.has(key)) kept[key] = value;
    else branch[key] = key === "enum" && Array.isArray(value) ? value.filter((item) => item !== null) : value;
  }
  const others = type.filter((item) => item !== "null");
  const branches = others.map((other) => ({ ...branch, type: other }));
  return { ...kept, anyOf: [...branches, { type: "null" }] };
}
