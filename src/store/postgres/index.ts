export * from "./open-postgres-store.ts";
export { postgresTraits, describeDatabase } from "./postgres-dialect.ts";
