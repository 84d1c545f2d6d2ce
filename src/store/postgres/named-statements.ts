// Named (prepared) statements for the store's queries. node-postgres sends a query with values as
// an unnamed statement, which PostgreSQL parses and plans on every call; the checkpoint, claim and
// trigger statements are the same few texts thousands of times a minute. Each connection of the
// pool instead prepares such a text once under a name and afterwards only binds values to it.
import { createHash } from "node:crypto";
import type pg from "pg";

/** Distinct texts named per process; statements past it (open-ended `in (...)` lists) go unnamed. */
const NAMED_LIMIT = 200;

/**
 * Makes every client of `pool` send its queries with values as named statements (by a hash of the
 * text, the same name on every connection). Queries without values (BEGIN, COMMIT, DDL) and texts
 * past the limit are sent as before.
 */
export function nameStatements(pool: pg.Pool): void {
  // A text mapped to undefined is never named again (see isStalePlan).
  const names = new Map<string, string | undefined>();
  const nameOf = (text: string): string | undefined => {
    if (names.has(text) || names.size >= NAMED_LIMIT) return names.get(text);
    const name = `hw_${createHash("sha256").update(text).digest("hex").slice(0, 24)}`;
    names.set(text, name);
    return name;
  };
  pool.on("connect", (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((...args: unknown[]) => {
      const [text, values, callback] = args;
      if (
        typeof text === "string" &&
        Array.isArray(values) &&
        values.length > 0 &&
        (args.length === 2 || (args.length === 3 && typeof callback === "function"))
      ) {
        const name = nameOf(text);
        if (name !== undefined && args.length === 3) return query({ name, text, values }, callback);
        if (name !== undefined)
          return (query({ name, text, values }) as Promise<unknown>).catch((error: unknown) => {
            // A table changed under a prepared `select *` (a migration by another process): the
            // text goes unnamed from now on, and this call is sent again as a plain query.
            if (!isStalePlan(error)) throw error;
            names.set(text, undefined);
            return query(text, values);
          });
      }
      return query(...args);
    }) as typeof client.query;
  });
}

/** PostgreSQL's refusal to run a prepared statement whose tables changed shape since. */
function isStalePlan(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === "0A000" && typeof message === "string" && message.includes("cached plan");
}
