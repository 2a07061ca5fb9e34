import { and, asc, eq, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "~/server/db/client";
import { hospitals } from "~/server/db/schema";
import { lineOfText } from "~/server/text";
import { DomainError } from "~/server/domain-error";
import { containsPattern, foldedSql, foldForMatching } from "./matching";

export interface Hospital {
  id: string;
  name: string;
  city: string;
  address: string;
  postalCode: string;
  phone: string | null;
  specialties: string[];
}

export const hospitalIdSchema = lineOfText()
  .min(1, "Give a hospital id, e.g. 'paris-pitie-salpetriere'.")
  .max(100, "A hospital id is at most 100 characters.");

export const SEARCH_LIMIT_DEFAULT = 20;
export const SEARCH_LIMIT_MAX = 100;
/** Each word is one more pattern match over every hospital: a long query would be costly work for nothing. */
export const SEARCH_MAX_WORDS = 10;

/** Arguments of a hospital search; shared by the hospitals_search tool and the tRPC router. */
export const searchHospitalsShape = {
  city: lineOfText().min(1).max(100).optional().describe("City, any case and accents, e.g. 'paris', 'Lyon'."),
  specialty: lineOfText()
    .min(1)
    .max(100)
    .optional()
    .describe("Medical specialty in French, any case and accents, e.g. 'cardiologie', 'Pédiatrie', 'urgences'."),
  query: lineOfText()
    .min(1)
    .max(200)
    .refine((query) => query.split(/\s+/).length <= SEARCH_MAX_WORDS, `Search with at most ${SEARCH_MAX_WORDS} words.`)
    .optional()
    .describe(`Up to ${SEARCH_MAX_WORDS} words to find in the hospital's name, city or address.`),
  limit: z
    .number()
    .int()
    .min(1)
    .max(SEARCH_LIMIT_MAX)
    .optional()
    .describe(`How many hospitals per page, 1 to ${SEARCH_LIMIT_MAX} (default ${SEARCH_LIMIT_DEFAULT}).`),
  cursor: z
    .string()
    .min(1)
    .max(500)
    .optional()
    .describe("next_cursor from the previous page, unchanged, to get the following page."),
};
export const searchHospitalsInput = z.object(searchHospitalsShape);
export type SearchHospitalsInput = z.infer<typeof searchHospitalsInput>;

export interface HospitalPage {
  hospitals: Hospital[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

const hospitalColumns = {
  id: hospitals.id,
  name: hospitals.name,
  city: hospitals.city,
  address: hospitals.address,
  postalCode: hospitals.postalCode,
  phone: hospitals.phone,
  specialties: hospitals.specialties,
};

/** Hospitals matching every given filter, ordered by name, a page at a time (keyset pagination). */
export async function searchHospitals(db: Database, params: SearchHospitalsInput): Promise<HospitalPage> {
  const limit = params.limit ?? SEARCH_LIMIT_DEFAULT;
  const filters: SQL[] = [];
  if (params.city) filters.push(eq(foldedSql(hospitals.city), foldForMatching(params.city)));
  if (params.specialty) {
    const pattern = containsPattern(foldForMatching(params.specialty));
    filters.push(sql`exists (select 1 from unnest(${hospitals.specialties}) as offered(name) where ${foldedSql(sql`offered.name`)} like ${pattern})`);
  }
  if (params.query) {
    for (const word of foldForMatching(params.query).split(/\s+/)) {
      const pattern = containsPattern(word);
      filters.push(
        sql`(${foldedSql(hospitals.name)} like ${pattern} or ${foldedSql(hospitals.city)} like ${pattern} or ${foldedSql(hospitals.address)} like ${pattern})`,
      );
    }
  }
  if (params.cursor) {
    const after = decodeCursor(params.cursor);
    filters.push(sql`(${hospitals.name}, ${hospitals.id}) > (${after.name}, ${after.id})`);
  }

  const rows = await db
    .select(hospitalColumns)
    .from(hospitals)
    .where(and(...filters))
    .orderBy(asc(hospitals.name), asc(hospitals.id))
    .limit(limit + 1);

  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { hospitals: page, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

export async function getHospital(db: Database, hospitalId: string): Promise<Hospital> {
  const [hospital] = await db.select(hospitalColumns).from(hospitals).where(eq(hospitals.id, hospitalId));
  if (!hospital) {
    throw new DomainError("not_found", `No hospital has the id '${hospitalId}'. Search hospitals to find a valid id.`);
  }
  return hospital;
}

/** The hospital's own spelling of a specialty typed in any case or accents, or null if it does not offer it. */
export function findOfferedSpecialty(hospital: Hospital, specialty: string): string | null {
  const wanted = foldForMatching(specialty);
  return hospital.specialties.find((offered) => foldForMatching(offered) === wanted) ?? null;
}

// The cursor is opaque to callers: base64url of the last row's sort key.
const cursorSchema = z.tuple([lineOfText(), lineOfText()]);

function encodeCursor(hospital: Pick<Hospital, "name" | "id">): string {
  return Buffer.from(JSON.stringify([hospital.name, hospital.id])).toString("base64url");
}

function decodeCursor(cursor: string): { name: string; id: string } {
  try {
    const [name, id] = cursorSchema.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
    return { name, id };
  } catch {
    throw new DomainError("invalid", "This cursor is not valid. Pass next_cursor from the previous result unchanged, or omit it to start over.");
  }
}
