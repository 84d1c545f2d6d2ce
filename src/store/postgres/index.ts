export * from "./open-postgres-store.ts";
export { postgresTraits, describeDatabase } from "./postgres-dialect.ts";
export { PostgresFileStore, StoredFile, CHUNK_BYTES } from "./postgres-file-store.ts";
