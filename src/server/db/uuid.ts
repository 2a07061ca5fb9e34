/**
 * The shape of a uuid column's value. Ids from outside (a URL, a token's claims) are checked against it
 * first: PostgreSQL refuses a malformed uuid with an error (22P02), where "no such row" is the answer.
 */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
