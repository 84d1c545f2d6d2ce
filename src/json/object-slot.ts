// A value kept for an object on the object itself, under a private symbol: what a WeakMap keyed by
// short-lived objects would hold, without the WeakMap. Every entry of a WeakMap is an ephemeron
// the garbage collector must trace apart from the rest of the heap, so a cache with entries made
// and dropped per request (thousands a second) costs every young collection; a property costs it
// nothing more than the object does. The property is not enumerable: JSON, spreads, structured
// clones, Object.keys and equality checks never see it. An object that cannot take it (frozen,
// sealed) keeps its value in a WeakMap instead.

export class ObjectSlot<K extends object, V> {
  readonly #key: symbol;
  /** Values of objects that could not take the property. */
  readonly #aside = new WeakMap<K, V>();

  constructor(description: string) {
    this.#key = Symbol(description);
  }

  get(object: K): V | undefined {
    if (!Object.isExtensible(object)) {
      const aside = this.#aside.get(object);
      if (aside !== undefined) return aside;
    }
    return (object as Record<symbol, V | undefined>)[this.#key];
  }

  set(object: K, value: V): void {
    if (!Object.isExtensible(object)) {
      // Sealed or frozen (perhaps after the property was made): the value is kept aside.
      this.#aside.set(object, value);
      return;
    }
    const key = this.#key;
    if (Object.hasOwn(object, key)) (object as Record<symbol, V>)[key] = value;
    else Object.defineProperty(object, key, { value, writable: true, enumerable: false });
  }
}
