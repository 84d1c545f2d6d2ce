// PostgreSQL specifics: the dialect traits the shared query code asks for, and the node-postgres
// pool hirewire talks through. JSON columns come back as their text and BIGINT as a number, so
// rows read the same as SQLite's and json-codec.ts needs no second path.
import pg from "pg";
import type { DialectTraits } from "../dialect.ts";

/** How PostgreSQL differs, for the shared query code. */
export const postgresTraits: DialectTraits = Object.freeze({
  name: "postgres",
  skipLocked: true,
  standaloneWrites: true,
  // `json`, not `jsonb`: it keeps the text as written (key order, duplicate keys, \u0000), so a
  // manifest reads back exactly as it was saved, the same as in SQLite.
  jsonType: "json",
  bytesType: "bytea",
  isUniqueViolation: (error: unknown) => sqlState(error) === "23505",
  isForeignKeyViolation: (error: unknown) => sqlState(error) === "23503",
  // disk_full, and out_of_memory/insufficient_resources are not the disk: only 53100.
  isDiskFull: (error: unknown) => sqlState(error) === "53100",
});

/** The SQLSTATE of a node-postgres error, if it is one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

const INT8_OID = 20;
const JSON_OID = 114;
const JSONB_OID = 3802;

/**
 * Type parsing for hirewire's pool only (the global pg.types stay untouched): BIGINT columns hold
 * epoch milliseconds and counts, well inside a double; JSON columns stay text for decodeJson,
 * because a JSON string value parsed by the driver could not be told from encoded text.
 */
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8_OID) return (text: string) => Number(text);
    if (oid === JSON_OID || oid === JSONB_OID) return (text: string) => text;
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export interface PostgresPoolOptions {
  /** A postgres:// connection URL. */
  url: string;
  /** The schema hirewire's tables live in (search_path); the URL's or `public` when absent. */
  schema?: string;
  /** Connections this process keeps at most (default 10). */
  max?: number;
  /** Longest wait for a new connection before giving up (default 10 s). */
  connectTimeoutMs?: number;
  /** Server settings for hirewire's sessions (`-c name=value`), e.g. `synchronous_commit`. */
  settings?: Record<string, string>;
}

/** The client settings for one connection: shared by the pool and the LISTEN connection. */
export function clientConfig(options: PostgresPoolOptions): pg.ClientConfig {
  return {
    connectionString: options.url,
    types,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: "hirewire",
    ...sessionOptions(options),
  };
}

function sessionOptions(options: PostgresPoolOptions): { options?: string } {
  const settings = { ...options.settings };
  if (options.schema !== undefined) settings.search_path = quoteIdentifier(options.schema);
  const parts = Object.entries(settings).map(
    ([name, value]) => `-c ${name}=${value.replaceAll("\\", "\\\\").replaceAll(" ", "\\ ")}`,
  );
  return parts.length > 0 ? { options: parts.join(" ") } : {};
}

export function createPool(options: PostgresPoolOptions): pg.Pool {
  return new pg.Pool({ ...clientConfig(options), max: options.max ?? 10 });
}

/** A schema name as an SQL identifier (double quotes doubled). */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Where the database is, for messages: host, port and database name, never the user's password
 * (the URL may carry one).
 */
export function describeDatabase(url: string): string {
  try {
    const parsed = new URL(url);
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, "")) || "(default)";
    return `PostgreSQL database "${database}" on ${parsed.hostname || "localhost"}:${parsed.port || "5432"}`;
  } catch {
    return "the PostgreSQL database in HIREWIRE_DATABASE_URL";
  }
}
