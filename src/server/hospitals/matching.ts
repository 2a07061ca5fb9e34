import { sql, type SQL, type SQLWrapper } from "drizzle-orm";

// People type "paris", "cardiologie" or "pediatrie" for "Paris", "Cardiologie" and "Pédiatrie". Both
// sides are folded the same way: accents and case removed, ligatures spelled out. We do not rely on
// the `unaccent` extension, which managed Postgres and PGlite do not all provide.
const ACCENTED = "àâäáãåçéèêëíìîïñóòôöõúùûüýÿÀÂÄÁÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕÚÙÛÜÝ";
const PLAIN = "aaaaaaceeeeiiiinooooouuuuyyAAAAAACEEEEIIIINOOOOOUUUUY";

/** "Hôpital Cœur" → "hopital coeur". */
export function foldForMatching(text: string): string {
  return text
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .replace(/œ/g, "oe")
    .replace(/Œ/g, "OE")
    .replace(/æ/g, "ae")
    .replace(/Æ/g, "AE")
    .toLowerCase()
    .trim();
}

/** The SQL twin of foldForMatching, for a column or expression. */
export function foldedSql(expression: SQLWrapper): SQL<string> {
  return sql<string>`lower(translate(replace(replace(replace(replace(${expression}, 'œ', 'oe'), 'Œ', 'OE'), 'æ', 'ae'), 'Æ', 'AE'), ${ACCENTED}, ${PLAIN}))`;
}

/** A LIKE pattern that matches `text` anywhere, with LIKE's wildcards taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}
