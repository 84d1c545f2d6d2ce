import { expect, it } from "vitest";
import { ConnectionQueue } from "./connection-queue.ts";

it("gives the connection to one caller at a time, in the order they asked", async () => {
  const queue = new ConnectionQueue();
  const order: string[] = [];
  const take = async (name: string) => {
    await queue.acquire();
    order.push(`${name} in`);
    await new Promise((resolve) => setImmediate(resolve));
    order.push(`${name} out`);
    queue.release();
  };
  await Promise.all([take("a"), take("b"), take("c")]);
  expect(order).toEqual(["a in", "a out", "b in", "b out", "c in", "c out"]);
  expect(queue.waiting).toBe(0);
});

it("is free again once the last holder releases it", async () => {
  const queue = new ConnectionQueue();
  await queue.acquire();
  let second = false;
  const pending = queue.acquire().then(() => (second = true));
  expect(queue.waiting).toBe(1);
  await Promise.resolve();
  expect(second).toBe(false);
  queue.release();
  await pending;
  expect(second).toBe(true);
  queue.release();
  let third = false;
  await queue.acquire().then(() => (third = true));
  expect(third).toBe(true);
});

it("wakes only the next waiter on each release", async () => {
  const queue = new ConnectionQueue();
  await queue.acquire();
  const woken: number[] = [];
  const waiters = Array.from({ length: 1_000 }, (_, i) =>
    queue.acquire().then(() => woken.push(i)),
  );
  queue.release();
  await new Promise((resolve) => setImmediate(resolve));
  expect(woken).toEqual([0]);
  for (let i = 1; i < 1_000; i += 1) queue.release();
  await Promise.all(waiters);
  expect(woken).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
});
