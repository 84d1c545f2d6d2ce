export * from "./file-store.ts";
export * from "./disk-file-store.ts";
export * from "./safe-name.ts";
