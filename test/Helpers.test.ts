import { assert, describe, it } from "@effect/vitest"
import { errorMessage } from "../src/internal/errorMessage.ts"
import { isPlainObject, isPlainPrototype, setOwn } from "../src/internal/plainRecord.ts"

describe("internal/errorMessage", () => {
  it("gives an Error's message, or the value as a string, and never throws", () => {
    assert.strictEqual(errorMessage(new TypeError("bad")), "bad")
    assert.strictEqual(errorMessage("plain"), "plain")
    assert.strictEqual(errorMessage(42), "42")
    const hostile = new Error("x")
    Object.defineProperty(hostile, "message", {
      get() {
        throw new Error("getter")
      }
    })
    assert.strictEqual(errorMessage(hostile), "unknown")
    assert.strictEqual(errorMessage(Object.create(null)), "unknown")
  })
})

describe("internal/plainRecord", () => {
  it("a plain object has Object.prototype or null as prototype", () => {
    assert.isTrue(isPlainObject({ a: 1 }))
    assert.isTrue(isPlainObject(Object.create(null)))
    assert.isTrue(isPlainObject(JSON.parse("{\"__proto__\":1}")))
    assert.isFalse(isPlainObject([]))
    assert.isFalse(isPlainObject(null))
    assert.isFalse(isPlainObject(new Date(0)))
    assert.isFalse(isPlainObject(new (class {})()))
    assert.isTrue(isPlainPrototype(null))
    assert.isFalse(isPlainPrototype(Array.prototype))
  })

  it("setOwn defines __proto__ as an own field instead of replacing the prototype", () => {
    const target: Record<string, unknown> = {}
    setOwn(target, "__proto__", { polluted: true })
    setOwn(target, "a", 1)
    assert.strictEqual(Object.getPrototypeOf(target), Object.prototype)
    assert.deepStrictEqual(Object.keys(target), ["__proto__", "a"])
    assert.deepStrictEqual(Object.getOwnPropertyDescriptor(target, "__proto__")?.value, { polluted: true })
    assert.isUndefined((target as { polluted?: unknown }).polluted)
  })
})
