// Freezing plain data all the way down: a value shared by many readers (a prepared manifest, a
// decoded manifest kept for the next read) throws on a write instead of changing for all of them.

/** Freezes `value` and everything in it (what is already frozen is taken as frozen through). */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
