export * from "./send-attempt.ts";
export type { AddressCheck } from "./egress.ts";
