// Building plain objects from data whose keys come from outside (manifests, responses, headers):
// a key named "__proto__" must stay a key, which plain assignment would turn into a prototype.

/** Sets an own, enumerable data property, even one named "__proto__". */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === "__proto__")
    Object.defineProperty(target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  else target[key] = value;
}
