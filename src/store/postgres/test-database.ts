// For tests: a fresh PostgreSQL schema of their own (so test files run in parallel), dropped
// afterwards. The server is HIREWIRE_TEST_DATABASE_URL (default: the local `test` database); when
// it cannot be reached the test fails with one sentence saying so and how to point elsewhere.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { STORE_TABLES } from "../sqlite/store-check.ts";
import { quoteIdentifier } from "./postgres-dialect.ts";

export const DEFAULT_TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test";

export function testDatabaseUrl(): string {
  return process.env.HIREWIRE_TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
}

export interface TestSchema {
  url: string;
  schema: string;
  /** The URL with the schema as its search_path, as an operator would write it. */
  urlWithSchema: string;
  /** Every row of every store table as text, for leak checks. */
  dump(): Promise<Buffer>;
  drop(): Promise<void>;
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${withoutPassword(url)} (${(error as Error).message}): the PostgreSQL store tests need a server; start one or set HIREWIRE_TEST_DATABASE_URL to a database they may create schemas in.`,
      { cause: error },
    );
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "HIREWIRE_TEST_DATABASE_URL";
  }
}

/** Creates an empty schema with a unique name. */
export async function createTestSchema(): Promise<TestSchema> {
  const url = testDatabaseUrl();
  const schema = `hirewire_test_${randomBytes(6).toString("hex")}`;
  const quoted = quoteIdentifier(schema);
  await withClient(url, (client) => client.query(`create schema ${quoted}`));
  const withSchema = new URL(url);
  withSchema.searchParams.set("options", `-c search_path=${schema}`);
  return {
    url,
    schema,
    urlWithSchema: withSchema.toString(),
    dump: () =>
      withClient(url, async (client) => {
        const parts: string[] = [];
        for (const table of STORE_TABLES) {
          const { rows } = await client.query<{ row: string }>(
            `select t::text as row from ${quoted}.${quoteIdentifier(table)} t`,
          );
          parts.push(...rows.map((r) => r.row));
        }
        return Buffer.from(parts.join("\n"), "utf8");
      }),
    drop: () =>
      withClient(url, async (client) => {
        await client.query(`drop schema if exists ${quoted} cascade`);
      }),
  };
}
