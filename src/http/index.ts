export * from "./send-attempt.ts";
export * from "./retry-after.ts";
export type { AddressCheck } from "./egress.ts";
