export * from "./attempt-record.ts";
export * from "./drive.ts";
export * from "./egress-policy.ts";
export * from "./generate.ts";
export * from "./run-manifest.ts";
export * from "./prepared-manifest.ts";
export * from "./lifecycle.ts";
export * from "./in-process-host.ts";
