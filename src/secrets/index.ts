export * from "./cipher.ts";
export * from "./key-file.ts";
export * from "./token-hash.ts";
