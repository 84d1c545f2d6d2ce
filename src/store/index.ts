export * from "./store.ts";
export * from "./records.ts";
export * from "./dialect.ts";
export * from "./sql-store.ts";
export * from "./migrations/index.ts";
export * from "./sqlite/index.ts";
export * from "./postgres/index.ts";
export * from "./run-signals.ts";
