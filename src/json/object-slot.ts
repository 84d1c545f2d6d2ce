// A value kept for an object on the object itself, as a private field: what a WeakMap keyed by
// short-lived objects would hold, without the WeakMap. Every entry of a WeakMap is an ephemeron
// the garbage collector must trace apart from the rest of the heap, so a cache with entries made
// and dropped per request (thousands a second) costs every young collection; a field costs it
// nothing more than the object does. A private field is seen by nothing else: not JSON, spreads,
// structured clones, Object.keys, Reflect.ownKeys or equality checks, and a copy does not carry
// it. The field is added by a constructor that returns the object it is given (a subclass's
// fields are then defined on that object): one inline step, where Object.defineProperty is a
// call into the runtime. An object that cannot take a field (frozen, sealed) keeps its value in a
// WeakMap instead.

/** Hands back the object it is given, so a subclass's private fields are defined on it. */
class Stamp {
  constructor(object: object) {
    return object;
  }
}

export class ObjectSlot<K extends object, V> {
  /** The value kept for `object`, if any. */
  readonly get: (object: K) => V | undefined;
  /** Keeps `value` for `object`, replacing what was kept. */
  readonly set: (object: K, value: V) => void;

  constructor() {
    // A class per slot: each has a private name of its own.
    class Holder extends Stamp {
      #value: V;
      constructor(object: K, value: V) {
        super(object);
        this.#value = value;
      }
      static read(object: K): V | undefined {
        return #value in object ? (object as Holder).#value : aside.get(object);
      }
      static write(object: K, value: V): void {
        if (#value in object) (object as Holder).#value = value;
        else if (Object.isExtensible(object)) new Holder(object, value);
        else aside.set(object, value);
      }
    }
    const aside = new WeakMap<K, V>();
    this.get = Holder.read;
    this.set = Holder.write;
  }
}
