// Brings a database up to the latest schema on open. Each dialect makes this safe when several
// processes open the same database at once: SQLite runs the whole batch in one BEGIN IMMEDIATE
// transaction (see sqlite-dialect.ts); Postgres holds an advisory lock per schema (postgres/open-postgres-store.ts).
import { Migrator, sql, type DatabaseIntrospector, type Kysely, type TableMetadata } from "kysely";
import { hirewireError } from "../../errors/index.ts";
import type { DialectTraits } from "../dialect.ts";
import type { Database } from "../schema.ts";
import { migrationProvider } from "./provider.ts";

/**
 * Applies pending migrations; returns the names applied. Throws INTERNAL on failure. `schema`
 * (Postgres) names the schema of the migration tables: without it Kysely would take a
 * `kysely_migration` table in any schema of the database for this one's.
 */
export async function migrateToLatest(
  db: Kysely<Database>,
  traits: DialectTraits,
  schema?: string,
): Promise<string[]> {
  const migrator = new Migrator({
    db: schema !== undefined ? withOwnSchemaListing(db, schema) : db,
    provider: migrationProvider(traits),
    ...(schema !== undefined ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    throw hirewireError(
      "INTERNAL",
      "migrate",
      { migration: failed || undefined },
      { cause: error },
    );
  }
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}

/**
 * `db` whose table listing reads only `schema`, for the migrator. Kysely's PostgreSQL listing
 * reads every table of the database and resolves each one's name as it goes, so a schema another
 * program (or a parallel test) drops at that moment fails our migration with "schema … does not
 * exist" although ours is fine. The migrator only asks whether its own tables exist in `schema`.
 */
function withOwnSchemaListing(db: Kysely<Database>, schema: string): Kysely<Database> {
  const introspection: DatabaseIntrospector = {
    getSchemas: () => db.introspection.getSchemas(),
    getMetadata: () => db.introspection.getMetadata(),
    async getTables(): Promise<TableMetadata[]> {
      const { rows } = await sql<{ name: string; kind: string }>`
        select c.relname as name, c.relkind as kind
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = ${schema} and c.relkind in ('r', 'p', 'v')`.execute(db);
      return rows.map((row) => ({ name: row.name, schema, isView: row.kind === "v", columns: [] }));
    },
  };
  return new Proxy(db, {
    get(target, property) {
      if (property === "introspection") return introspection;
      const value: unknown = Reflect.get(target, property, target);
      // Kysely's methods use private fields: call them on the instance itself.
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
