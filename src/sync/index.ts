export * from "./sync-plan.ts";
export * from "./sync-run.ts";
export * from "./apply-sync.ts";
