import { describe, expect, it } from "vitest";
import { ObjectSlot } from "./object-slot.ts";

describe("ObjectSlot", () => {
  it("keeps a value per object, replaced by the next set", () => {
    const slot = new ObjectSlot<object, string>();
    const a = {};
    const b = {};
    expect(slot.get(a)).toBeUndefined();
    slot.set(a, "one");
    slot.set(b, "two");
    expect([slot.get(a), slot.get(b)]).toEqual(["one", "two"]);
    slot.set(a, "three");
    expect(slot.get(a)).toBe("three");
  });

  it("is invisible to JSON, keys, spreads, structured clones and equality", () => {
    const slot = new ObjectSlot<Record<string, unknown>, string>();
    const value = { method: "GET", url: "https://example.com/" };
    slot.set(value, "hidden");
    expect(JSON.stringify(value)).toBe('{"method":"GET","url":"https://example.com/"}');
    expect(Reflect.ownKeys({ ...value })).toEqual(["method", "url"]);
    expect(Reflect.ownKeys(value)).toEqual(["method", "url"]);
    expect(slot.get({ ...value })).toBeUndefined();
    expect(Object.keys(value)).toEqual(["method", "url"]);
    expect(Reflect.ownKeys(structuredClone(value))).toEqual(["method", "url"]);
    expect(value).toStrictEqual({ method: "GET", url: "https://example.com/" });
  });

  it("keeps values of frozen and sealed objects aside, also when frozen after a set", () => {
    const slot = new ObjectSlot<object, number>();
    const frozen = Object.freeze({});
    const sealed = Object.seal({ a: 1 });
    slot.set(frozen, 1);
    slot.set(sealed, 2);
    expect([slot.get(frozen), slot.get(sealed)]).toEqual([1, 2]);
    const later = {};
    slot.set(later, 3);
    Object.freeze(later);
    expect(slot.get(later)).toBe(3);
    slot.set(later, 4);
    expect(slot.get(later)).toBe(4);
  });

  it("gives each slot its own key", () => {
    const first = new ObjectSlot<object, string>();
    const second = new ObjectSlot<object, string>();
    const value = {};
    first.set(value, "first");
    expect(second.get(value)).toBeUndefined();
    second.set(value, "second");
    expect([first.get(value), second.get(value)]).toEqual(["first", "second"]);
  });
});
