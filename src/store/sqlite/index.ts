export * from "./open-sqlite-store.ts";
export * from "./sqlite-dialect.ts";
