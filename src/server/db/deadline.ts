/**
 * How long a request waits on the database before it is told to come back later. postgres-js bounds
 * connecting (connect_timeout) but not a query on a connection whose network went silent, which would
 * otherwise wait for TCP to give up, many minutes later.
 */
export const DATABASE_DEADLINE_MS = 4000;

/** Thrown when the database did not answer in time; isDatabaseUnavailable() recognises its code. */
export class DatabaseTimeoutError extends Error {
  override readonly name = "DatabaseTimeoutError";
  readonly code = "DATABASE_TIMEOUT";
}

/**
 * `work`, or a DatabaseTimeoutError after `milliseconds`. The work itself is not cancelled (a query
 * cannot be taken back); its late result or error is dropped.
 */
export async function withDatabaseDeadline<T>(work: Promise<T>, milliseconds: number = DATABASE_DEADLINE_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseTimeoutError(`the database did not answer within ${milliseconds} ms`)), milliseconds);
  });
  try {
    return await Promise.race([work, deadline]);
  } catch (error) {
    work.catch(() => {});
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
