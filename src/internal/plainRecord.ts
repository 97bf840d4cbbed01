/**
 * Plain records: the one check for "a plain object" and the one `__proto__`-safe key assignment
 * (not API).
 *
 * Callers: the enricher (merging fields), the redactor's walk (which objects it descends as
 * records, and the copies it writes), the OTLP converter (which objects become a `kvlistValue`).
 *
 * Must never: invoke a setter or a getter of the target's prototype chain — assigning
 * `target["__proto__"] = v` with `=` would replace the prototype instead of adding a field.
 *
 * Invariant: a plain object is one whose prototype is `Object.prototype` or `null` (what an object
 * literal, `JSON.parse` or `Object.create(null)` makes); a key set with {@link setOwn} is an own,
 * enumerable data property, whatever its name.
 *
 * @internal
 */

/** Whether `proto` is the prototype of a plain object: `Object.prototype` or `null`. */
export const isPlainPrototype = (proto: unknown): boolean => proto === Object.prototype || proto === null

/** Whether `u` is a plain object (not an array, not a class instance, not `null`). */
export const isPlainObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u) && isPlainPrototype(Object.getPrototypeOf(u))

/** Sets `target[key]` as an own data property, even when `key` is `"__proto__"`. */
export const setOwn = (target: Record<string, unknown>, key: string, value: unknown): void => {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  } else {
    target[key] = value
  }
}
