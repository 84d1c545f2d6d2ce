// The store conformance suite: one set of behaviours every Store implementation must show, run
// by each dialect's test file against a real database (SQLite file now, Postgres later).
import { describe } from "vitest";
import { catalogCases } from "./conformance/catalog-cases.ts";
import { checkpointCases } from "./conformance/checkpoint-cases.ts";
import { coordinationCases } from "./conformance/coordination-cases.ts";
import type { StoreHarness } from "./conformance/harness.ts";
import { leaseCases } from "./conformance/lease-cases.ts";
import { rateLimitCases } from "./conformance/rate-limit-cases.ts";
import { runCases } from "./conformance/run-cases.ts";

export type { StoreEnv, StoreHarness } from "./conformance/harness.ts";

/**
 * Registers the conformance tests for one implementation. `harness.create()` is called once per
 * test and must give an empty database; its `open()` may be called several times to get separate
 * Store instances over the same data, standing in for separate processes.
 */
export function describeStoreConformance(name: string, harness: StoreHarness): void {
  describe(`Store conformance: ${name}`, () => {
    catalogCases(harness);
    runCases(harness);
    leaseCases(harness);
    checkpointCases(harness);
    coordinationCases(harness);
    rateLimitCases(harness);
  });
}
