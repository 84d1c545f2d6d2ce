import { expect, it } from "vitest";
import { LoopSlice } from "./loop-slice.ts";

function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Synchronous work, as better-sqlite3 queries are.
  }
}

it("lets queries through at once within the budget", async () => {
  const slice = new LoopSlice(1_000);
  let turnEnded = false;
  setImmediate(() => (turnEnded = true));
  for (let i = 0; i < 100; i++) await slice.yieldIfLong();
  expect(turnEnded).toBe(false);
});

it("gives the event loop a turn once the budget is used up", async () => {
  const slice = new LoopSlice(2);
  let turnEnded = false;
  setImmediate(() => (turnEnded = true));
  await slice.yieldIfLong();
  busyFor(5);
  await slice.yieldIfLong();
  expect(turnEnded).toBe(true);
  // The next turn starts a fresh budget.
  let again = false;
  setImmediate(() => (again = true));
  await slice.yieldIfLong();
  expect(again).toBe(false);
});
