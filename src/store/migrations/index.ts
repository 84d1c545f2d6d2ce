export * from "./migrate.ts";
export * from "./provider.ts";
