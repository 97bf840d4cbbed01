import { assert, describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import fc from "fast-check"
import * as Encoder from "../src/Encoder.ts"
import * as Http from "../src/Http.ts"
import * as LogEvent from "../src/LogEvent.ts"
import * as Pipeline from "../src/Pipeline.ts"
import * as Redactor from "../src/Redactor.ts"
import * as Pattern from "../src/internal/redactPattern.ts"

const event = (
  fields: Record<string, unknown> | undefined,
  message = "hello",
  extra: Partial<LogEvent.Input> = {}
): LogEvent.LogEvent => LogEvent.make({ timestamp: 0, level: "Info", message, logger: "test", fields, ...extra })

const redact = Redactor.make()
const fieldsOf = (e: LogEvent.LogEvent): any => e.fields
const scan = (s: string, options?: Redactor.Options): string => Redactor.make(options)(event(undefined, s)).message

const VALID_CARDS = ["4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111", "5555555555554444", "378282246310005"]

describe("Redactor", () => {
  describe("keys", () => {
    it("censors default keys at any depth in objects and arrays, in fields and annotations", () => {
      const out = redact(event(
        {
          password: "p1",
          user: { name: "ann", credentials: { user: "x" }, tokens: [{ access_token: "p2" }, { id: 1 }] },
          list: [[{ secret: "p3" }]]
        },
        "hello",
        { annotations: { request: { headers: { authorization: "p4", accept: "json" } } } }
      ))
      expect(out.fields).toEqual({
        password: "[REDACTED]",
        user: { name: "ann", credentials: "[REDACTED]", tokens: [{ access_token: "[REDACTED]" }, { id: 1 }] },
        list: [[{ secret: "[REDACTED]" }]]
      })
      expect(out.annotations).toEqual({ request: { headers: { authorization: "[REDACTED]", accept: "json" } } })
    })

    it("matches case-insensitively, ignoring '-' and '_', and by suffix for '*' entries", () => {
      const secretKeys = [
        "PASSWORD", "Password", "api_key", "API_KEY", "api-key", "apiKey", "X-Api-Key", "x_api_key", "client_secret",
        "clientSecret", "refreshToken", "ID_TOKEN", "csrf-token", "Set-Cookie", "cookie", "Authorization",
        "proxy-authorization", "db_password", "PRIVATE_KEY", "ssn", "CVV", "card_number", "cardNumber", "sessionId"
      ]
      const plainKeys = ["author", "tokensUsed", "max_tokens", "username", "keyboard", "authority", "passage"]
      const fields: Record<string, unknown> = {}
      for (const k of [...secretKeys, ...plainKeys]) fields[k] = "v"
      const out = fieldsOf(redact(event(fields)))
      for (const k of secretKeys) assert.strictEqual(out[k], "[REDACTED]", k)
      for (const k of plainKeys) assert.strictEqual(out[k], "v", k)
    })

    it("censors the whole value of a secret key, whatever its type", () => {
      const out = fieldsOf(redact(event({ auth: { user: "u", pass: "p" }, token: ["a", "b"], cvv: 123 })))
      expect(out).toEqual({ auth: "[REDACTED]", token: "[REDACTED]", cvv: "[REDACTED]" })
    })

    it("keys replaces the defaults, extraKeys extends them, [] disables key matching", () => {
      const fields = { password: "p", email: "e@x.io", note: "n" }
      expect(Redactor.make({ keys: ["email"] })(event(fields)).fields).toEqual({ password: "p", email: "[REDACTED]", note: "n" })
      expect(Redactor.make({ extraKeys: ["EMAIL"] })(event(fields)).fields).toEqual({
        password: "[REDACTED]",
        email: "[REDACTED]",
        note: "n"
      })
      const none = event(fields)
      assert.strictEqual(Redactor.make({ keys: [] })(none), none)
      expect(Redactor.defaultKeys).toContain("*password")
    })
  })

  describe("paths", () => {
    it("censors dotted paths from the root of fields and annotations, with * wildcards over keys and indexes", () => {
      const r = Redactor.make({ keys: [], paths: ["user.email", "items.*.card", "*.phone", "list.1"] })
      const out = r(event(
        {
          user: { email: "e", name: "n" },
          items: [{ card: "c1", id: 1 }, { card: "c2", id: 2 }],
          contact: { phone: "p", city: "x" },
          list: ["a", "b", "c"],
          email: "top-level email is not on a path"
        },
        "m",
        { annotations: { user: { email: "e2" } } }
      ))
      expect(out.fields).toEqual({
        user: { email: "[REDACTED]", name: "n" },
        items: [{ card: "[REDACTED]", id: 1 }, { card: "[REDACTED]", id: 2 }],
        contact: { phone: "[REDACTED]", city: "x" },
        list: ["a", "[REDACTED]", "c"],
        email: "top-level email is not on a path"
      })
      expect(out.annotations).toEqual({ user: { email: "[REDACTED]" } })
    })
  })

  describe("mode and censor", () => {
    it("remove deletes matched properties and array elements; censor is configurable", () => {
      const fields = { password: "p", user: { ssn: "s", name: "n" }, list: ["a", "b", "c"], keep: 1 }
      expect(Redactor.make({ mode: "remove", paths: ["list.1"] })(event(fields)).fields).toEqual({
        user: { name: "n" },
        list: ["a", "c"],
        keep: 1
      })
      expect(Redactor.make({ censor: "***" })(event(fields)).fields).toEqual({
        password: "***",
        user: { ssn: "***", name: "n" },
        list: ["a", "b", "c"],
        keep: 1
      })
    })

    it("remove still censors Redacted values and pattern matches", () => {
      const out = fieldsOf(Redactor.make({ mode: "remove" })(event({ a: Redacted.make("x"), b: "Bearer AbC123456789" })))
      expect(out).toEqual({ a: "[REDACTED]", b: "Bearer [REDACTED]" })
    })
  })

  describe("value patterns", () => {
    it("bearer: masks Bearer/Basic credentials, keeps the scheme, ignores prose", () => {
      expect(scan("Authorization: Bearer AbC123.xyz-_~+/=")).toBe("Authorization: Bearer [REDACTED]")
      expect(scan("header bearer abcdef123456 sent")).toBe("header bearer [REDACTED] sent")
      expect(scan("Basic dXNlcjpwYXNz")).toBe("Basic [REDACTED]")
      expect(scan("Bearer token missing")).toBe("Bearer token missing")
      expect(scan("Basic authentication required")).toBe("Basic authentication required")
      expect(scan("the Bearer of bad news")).toBe("the Bearer of bad news")
    })

    it("jwt: masks three base64url segments starting with eyJ", () => {
      const jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
      expect(scan(`token=${jwt};`)).toBe("token=[REDACTED];")
      expect(scan(`${jwt}`)).toBe("[REDACTED]")
      expect(scan("eyJhbGciOiJIUzI1NiJ9 has no dots")).toBe("eyJhbGciOiJIUzI1NiJ9 has no dots")
      expect(scan("keyJam.foo.bar is a word")).toBe("keyJam.foo.bar is a word")
    })

    it("creditCard: masks Luhn-valid numbers, with spaces or dashes; leaves order ids and timestamps", () => {
      for (const card of VALID_CARDS) expect(scan(`paid with ${card} today`)).toBe("paid with [REDACTED] today")
      // 16 digits failing the Luhn check: an order id
      expect(scan("order 4111111111111112 shipped")).toBe("order 4111111111111112 shipped")
      expect(scan("order 5412345678901234 shipped")).toBe("order 5412345678901234 shipped")
      // Luhn-valid but starting with 1: an epoch-millisecond timestamp, not a card
      expect(scan("at 1700000000007")).toBe("at 1700000000007")
      // too short / too long
      expect(scan("code 411111111111")).toBe("code 411111111111")
      expect(scan("id 41111111111111111111111")).toBe("id 41111111111111111111111")
    })

    it("urlCredentials: masks the password of scheme://user:pass@host and nothing else", () => {
      expect(scan("connect postgres://app:s3cret@db:5432/prod ok")).toBe("connect postgres://app:[REDACTED]@db:5432/prod ok")
      expect(scan("https://u:p@ss:w0rd@example.com/x")).toBe("https://u:[REDACTED]@example.com/x")
      expect(scan("redis://:onlypass@cache")).toBe("redis://:[REDACTED]@cache")
      expect(scan("https://example.com:8443/a?b=c@d")).toBe("https://example.com:8443/a?b=c@d")
      expect(scan("mail joe@example.com at https://example.com")).toBe("mail joe@example.com at https://example.com")
    })

    it("custom patterns replace the builtins; [] disables them", () => {
      const r = { patterns: [/sk_live_[A-Za-z0-9]+/g, "jwt"] as const }
      expect(scan("key sk_live_abc123 and Bearer AbC123456789", r)).toBe("key [REDACTED] and Bearer AbC123456789")
      expect(Redactor.builtinPatterns).toEqual(["bearer", "jwt", "creditCard", "urlCredentials"])
      const plain = event({ url: "https://u:p@h" }, "Bearer AbC123456789")
      assert.strictEqual(Redactor.make({ patterns: [] })(plain), plain)
    })

    it("applies patterns to every string value, at any depth, under any key", () => {
      const out = fieldsOf(redact(event({ a: { b: ["x", "see postgres://u:pw@h/db"] }, c: "4111111111111111" })))
      expect(out).toEqual({ a: { b: ["x", "see postgres://u:[REDACTED]@h/db"] }, c: "[REDACTED]" })
    })

    it("masks secrets pasted into the message", () => {
      const out = redact(event({ n: 1 }, "calling https://bot:hunter22@api.example.com with Bearer AbC123456789"))
      expect(out.message).toBe("calling https://bot:[REDACTED]@api.example.com with Bearer [REDACTED]")
    })
  })

  describe("Redacted, errors, causes, objects", () => {
    it("replaces every Redacted value by the censor, under any key, at any depth", () => {
      const out = redact(event({ a: Redacted.make("s1"), b: [{ c: Redacted.make({ deep: "s2" }) }] }, "m", {
        annotations: { d: Redacted.make("s3") }
      }))
      expect(out.fields).toEqual({ a: "[REDACTED]", b: [{ c: "[REDACTED]" }] })
      expect(out.annotations).toEqual({ d: "[REDACTED]" })
    })

    it("redacts Error messages, stacks, causes and properties, keeping the class and leaving the original intact", () => {
      class DbError extends Error {
        readonly password: string
        constructor(message: string, options: ErrorOptions) {
          super(message, options)
          this.name = "DbError"
          this.password = "pw-prop"
        }
      }
      const inner = new Error("inner with Bearer InNeR1234567")
      const error = new DbError("cannot reach postgres://app:pw-url@db/prod", { cause: inner })
      const out = fieldsOf(redact(event({ error }))).error
      assert.instanceOf(out, DbError)
      expect(out.name).toBe("DbError")
      expect(out.message).toBe("cannot reach postgres://app:[REDACTED]@db/prod")
      expect(out.stack).not.toContain("pw-url")
      expect(out.stack).toContain("postgres://app:[REDACTED]@db/prod")
      expect(out.password).toBe("[REDACTED]")
      expect((out.cause as Error).message).toBe("inner with Bearer [REDACTED]")
      expect(error.message).toContain("pw-url")
      const clean = new Error("nothing here")
      const kept = event({ clean })
      assert.strictEqual(redact(kept), kept)
    })

    it("redacts the errors and defects of the event's cause, keeping the reasons' shape", () => {
      const cause = Cause.combine(
        Cause.fail(new Error("failed with Bearer FaIl12345678")),
        Cause.die({ password: "die-secret", other: 1 })
      )
      const out = redact(event(undefined, "boom", { cause }))
      assert.notStrictEqual(out.cause, cause)
      const reasons = out.cause!.reasons
      expect(reasons.length).toBe(2)
      const fail = reasons[0]!
      const die = reasons[1]!
      assert(Cause.isFailReason(fail) && Cause.isDieReason(die))
      expect((fail.error as Error).message).toBe("failed with Bearer [REDACTED]")
      expect(die.defect).toEqual({ password: "[REDACTED]", other: 1 })
      const pretty = Cause.pretty(out.cause!)
      expect(pretty).not.toContain("FaIl12345678")
      const plain = event(undefined, "boom", { cause: Cause.fail("nothing secret") })
      assert.strictEqual(redact(plain), plain)
    })

    it("inspects toJSON representations (URL), Maps and Sets", () => {
      const out = fieldsOf(redact(event({
        url: new URL("https://user:url-secret@example.com/path"),
        map: new Map<unknown, unknown>([["token", "m1"], ["ok", "fine"]]),
        set: new Set(["Bearer SeT123456789", "plain"]),
        date: new Date(0)
      })))
      expect(out.url).toBe("https://user:[REDACTED]@example.com/path")
      expect([...out.map]).toEqual([["token", "[REDACTED]"], ["ok", "fine"]])
      expect([...out.set]).toEqual(["Bearer [REDACTED]", "plain"])
      assert.instanceOf(out.date, Date)
      // what an encoder writes for these is the toJSON result, the string value, the inner errors
      const more = fieldsOf(redact(event({
        custom: { toJSON: () => ({ password: "tojson-secret" }) },
        boxed: new String("Bearer BoXeD12345678"),
        aggregate: new AggregateError([new Error("inner Bearer AgGr12345678")], "many")
      })))
      expect(more.custom).toEqual({ password: "[REDACTED]" })
      expect(more.boxed).toBe("Bearer [REDACTED]")
      assert.instanceOf(more.aggregate, AggregateError)
      expect(more.aggregate.errors[0].message).toBe("inner Bearer [REDACTED]")
    })

    it("makeValue redacts any value with the same rules", () => {
      const redactValue = Redactor.makeValue()
      expect(redactValue({ headers: { Authorization: "Bearer x", host: "h" } })).toEqual({
        headers: { Authorization: "[REDACTED]", host: "h" }
      })
      expect(redactValue("postgres://app:s3cret@db/prod")).toBe("postgres://app:[REDACTED]@db/prod")
      expect(redactValue(Redacted.make(1))).toBe("[REDACTED]")
      expect(redactValue(42)).toBe(42)
    })
  })

  describe("bounded work on hostile input", () => {
    it("cuts nesting beyond maxDepth (10,000 levels) with a marker", () => {
      let deep: Record<string, unknown> = { password: "deepest" }
      for (let i = 0; i < 10_000; i++) deep = { next: deep }
      const out = fieldsOf(redact(event({ deep })))
      const json = JSON.stringify(out)
      expect(json).toContain("[REDACTED: depth limit]")
      expect(json).not.toContain("deepest")
      expect(json.length).toBeLessThan(1_000)
      let node = out.deep
      let levels = 0
      while (typeof node === "object") {
        node = node.next
        levels++
      }
      expect(node).toBe("[REDACTED: depth limit]")
      expect(levels).toBe(32)
      const shallow = fieldsOf(Redactor.make({ maxDepth: 2 })(event({ a: { b: { c: { d: 1 } } } })))
      expect(shallow).toEqual({ a: { b: { c: "[REDACTED: depth limit]" } } })
    })

    it("cuts properties beyond maxKeys (100,000 keys) with a marker carrying the count", () => {
      const wide: Record<string, unknown> = {}
      for (let i = 0; i < 100_000; i++) wide[`k${i}`] = i === 99_999 ? "Bearer LaSt12345678" : i
      const out = fieldsOf(redact(event({ wide })))
      const keys = Object.keys(out.wide)
      expect(keys.length).toBe(9_999 + 1)
      expect(out.wide["[REDACTED: key limit]"]).toBe(100_000 - 9_999)
      expect(JSON.stringify(out)).not.toContain("LaSt12345678")
      const array = Array.from({ length: 100_000 }, (_, i) => i)
      const outArray = fieldsOf(Redactor.make({ maxKeys: 10 })(event({ array }))).array
      expect(outArray.length).toBe(10)
      expect(outArray[9]).toBe("[REDACTED: key limit, 99991 more]")
      const sparse = fieldsOf(Redactor.make({ maxKeys: 5 })(event({ sparse: new Array(1e9) }))).sparse
      expect(sparse.length).toBe(5)
    })

    it("replaces cycles by a marker and never keeps a reference to an unredacted original", () => {
      const a: Record<string, unknown> = { password: "cyc", name: "a" }
      a.self = a
      const list: Array<unknown> = []
      list.push({ list, token: "t" })
      const out = fieldsOf(redact(event({ a, list })))
      expect(out.a).toEqual({ password: "[REDACTED]", name: "a", self: "[REDACTED: circular]" })
      expect(out.list).toEqual([{ list: "[REDACTED: circular]", token: "[REDACTED]" }])
      expect(JSON.stringify(out)).not.toContain("cyc")
      // a shared (acyclic) reference is fine
      const shared = { v: 1 }
      expect(fieldsOf(redact(event({ x: shared, y: shared })))).toEqual({ x: { v: 1 }, y: { v: 1 } })
    })

    it("marks values that throw when read instead of passing them through", () => {
      const hostile = {
        ok: 1,
        get boom(): string {
          throw new Error("getter")
        }
      }
      const proxy = new Proxy({}, {
        ownKeys: () => {
          throw new Error("ownKeys")
        }
      })
      const out = fieldsOf(redact(event({ hostile, proxy, fine: "x" })))
      // a throwing getter is marked for its key only, its neighbours kept; an unreadable object as a whole
      expect(out).toEqual({ hostile: { ok: 1, boom: "[Throws: getter]" }, proxy: "[REDACTED: unreadable]", fine: "x" })
    })
  })

  describe("throwing getters", () => {
    it("a fields object with a throwing getter keeps its other keys, in order, and still redacts them", () => {
      const fields = {
        ok: 1,
        get boom(): string {
          throw new Error("getter")
        },
        password: "hunter2",
        get apiKey(): string {
          throw new Error("secret getter")
        },
        get leaky(): string {
          throw new Error("failed with Bearer LeAkY12345678")
        },
        get odd(): string {
          throw "not an error"
        },
        note: "plain"
      }
      const input = event(fields, "m", { annotations: { a: 1 } })
      const out = redact(input)
      const redacted = fieldsOf(out)
      expect(redacted).toEqual({
        ok: 1,
        boom: "[Throws: getter]",
        password: "[REDACTED]",
        apiKey: "[REDACTED]",
        leaky: "[Throws: failed with Bearer [REDACTED]]",
        odd: "[Throws: not an error]",
        note: "plain"
      })
      expect(Object.keys(redacted)).toEqual(["ok", "boom", "password", "apiKey", "leaky", "odd", "note"])
      assert.strictEqual(out.annotations, input.annotations)
      // the input is left alone, and a throwing getter first in line changes nothing
      expect(fields.password).toBe("hunter2")
      const first = {
        get boom(): string {
          throw new Error("first")
        },
        ok: "fine"
      }
      expect(fieldsOf(redact(event(first)))).toEqual({ boom: "[Throws: first]", ok: "fine" })
      const removed = fieldsOf(Redactor.make({ mode: "remove" })(event(fields)))
      expect(Object.keys(removed)).toEqual(["ok", "boom", "leaky", "odd", "note"])
      expect(removed).toMatchObject({ ok: 1, boom: "[Throws: getter]", note: "plain" })
    })

    it("nested and in annotations too", () => {
      const hostile = {
        ok: 1,
        get boom(): string {
          throw new Error("getter")
        }
      }
      const out = redact(event({ deep: { hostile, token: "t" } }, "m", { annotations: { hostile } }))
      expect(fieldsOf(out)).toEqual({ deep: { hostile: { ok: 1, boom: "[Throws: getter]" }, token: "[REDACTED]" } })
      expect(out.annotations).toEqual({ hostile: { ok: 1, boom: "[Throws: getter]" } })
    })
  })

  describe("copy-on-write", () => {
    it("returns the same event when there is nothing to redact", () => {
      const bare = event(undefined, "nothing here")
      assert.strictEqual(redact(bare), bare)
      const plain = event({ a: 1, b: "two", c: { d: [1, 2, { e: null }] } }, "still nothing", { annotations: { x: "y" } })
      assert.strictEqual(redact(plain), plain)
    })

    it("copies only the path to a redacted value and never mutates the input", () => {
      const untouched = { deep: { list: [1, 2, 3] } }
      const fields = { untouched, user: { password: "p", name: "n" } }
      const input = event(fields, "m", { annotations: { a: 1 } })
      const out = redact(input)
      assert.notStrictEqual(out, input)
      assert.strictEqual(fieldsOf(out).untouched, untouched)
      assert.strictEqual(out.annotations, input.annotations)
      expect(fields.user.password).toBe("p")
      expect(Object.keys(out)).toEqual(Object.keys(input))
    })

    it("keeps own __proto__ keys as data", () => {
      const fields = JSON.parse("{\"__proto__\": {\"password\": \"x\"}, \"token\": \"t\"}")
      const out = fieldsOf(redact(event(fields)))
      expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
      expect(JSON.stringify(out)).toBe("{\"__proto__\":{\"password\":\"[REDACTED]\"},\"token\":\"[REDACTED]\"}")
    })
  })

  describe("pipeline", () => {
    it.effect("redacts ordinary events and forwards control events unchanged and in order", () =>
      Effect.gen(function*() {
        const flush = LogEvent.flushMarker(() => {})
        const end = LogEvent.correlationEnd("req-1")
        const input = [
          event({ password: "1" }, "a"),
          flush,
          event({ n: 1 }, "b"),
          end,
          event(undefined, "Bearer AbC123456789")
        ]
        const out = yield* Stream.fromIterable(input, { chunkSize: 2 }).pipe(
          Redactor.pipeline(),
          Stream.runCollect
        )
        expect(out.map((e) => e.control?._tag ?? e.message)).toEqual(["a", "Flush", "b", "CorrelationEnd", "Bearer [REDACTED]"])
        assert.strictEqual(out[1], flush)
        assert.strictEqual(out[3], end)
        assert.strictEqual(out[2], input[2])
        expect(out[0]!.fields).toEqual({ password: "[REDACTED]" })
      }))

    it.effect("composes with other stages", () =>
      Effect.gen(function*() {
        const out = yield* Stream.make(event({ secret: "s" })).pipe(
          Pipeline.compose(Redactor.pipeline({ mode: "remove" }), Pipeline.identity),
          Stream.runCollect
        )
        expect(out[0]!.fields).toEqual({})
      }))
  })

  describe("properties", () => {
    const hex = fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 16, maxLength: 16 })
    const secretKey = fc.constantFrom(
      "password", "Password", "API_KEY", "x-api-key", "refreshToken", "Authorization", "client_secret", "set-cookie",
      "db_password", "ssn", "privateKey"
    )
    const pathKey = fc.string({ maxLength: 6 }).filter((k) => k !== "__proto__")
    const leaf = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null))
    const tree = fc.object({ maxDepth: 3, maxKeys: 4, values: [leaf] })

    /** Plants `value` under `key` at the end of `path`, creating objects along the way. */
    const plant = (root: Record<string, unknown>, path: ReadonlyArray<string>, key: string, value: unknown) => {
      let node: Record<string, unknown> = root
      for (const step of path) {
        const next = node[step]
        if (Array.isArray(next)) {
          const child: Record<string, unknown> = {}
          next.push(child)
          node = child
        } else if (typeof next === "object" && next !== null) {
          node = next as Record<string, unknown>
        } else {
          const child: Record<string, unknown> = {}
          node[step] = child
          node = child
        }
      }
      node[key] = value
    }

    it("a secret under a default key at any path never reaches the encoded output", () => {
      fc.assert(
        fc.property(
          tree,
          fc.array(pathKey, { maxLength: 6 }),
          secretKey,
          hex,
          fc.constantFrom("string", "object", "array"),
          fc.boolean(),
          (root, path, key, hexSecret, shape, inAnnotations) => {
            const secret = `SECRET-${hexSecret}`
            const value = shape === "string" ? secret : shape === "object" ? { inner: secret } : [1, secret]
            const target = structuredClone(root) as Record<string, unknown>
            plant(target, path, key, value)
            const input = inAnnotations ? event({ a: 1 }, "m", { annotations: target }) : event(target)
            expect(JSON.stringify(input)).toContain(secret)
            const out = redact(input)
            expect(JSON.stringify(out)).not.toContain(secret)
            expect(JSON.stringify(Redactor.make({ mode: "remove" })(input))).not.toContain(secret)
          }
        ),
        { numRuns: 300 }
      )
    })

    describe("reuse of a shared annotations record", () => {
      const plainKey = fc.constantFrom("service", "region", "a", "b", "note", "nested")
      const secretKey = fc.constantFrom("password", "token", "authorization", "api_key")
      const key = fc.oneof(plainKey, secretKey)
      const text = fc.string({ maxLength: 12 })
      const primitive = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined))
      const value = fc.oneof(
        { arbitrary: primitive, weight: 5 },
        { arbitrary: hex.map((h) => `Bearer Tk${h}`), weight: 1 },
        { arbitrary: fc.dictionary(key, primitive, { maxKeys: 3 }), weight: 1 }
      )
      const record = (values: fc.Arbitrary<unknown>) => fc.dictionary(key, values, { maxKeys: 5 })
      const options = fc.constantFrom<Redactor.Options | undefined>(
        undefined,
        { mode: "remove" },
        { censor: "***" },
        { extraKeys: ["region"] },
        { paths: ["nested.a", "b"] },
        { keys: [], patterns: [] }
      )
      const step = fc.record({
        which: fc.nat(2),
        fields: fc.option(record(value), { nil: undefined }),
        message: fc.oneof(text, hex.map((h) => `auth Bearer Ms${h}`)),
        cause: fc.option(hex.map((h) => `failed with Bearer Ca${h}`), { nil: undefined })
      })
      /** The generated bearer tokens among the annotations (distinctive enough to search the line for). */
      const secretsOf = (e: LogEvent.LogEvent): Array<string> =>
        Object.values(e.annotations ?? {}).flatMap((v) =>
          typeof v === "string" && v.startsWith("Bearer Tk") ? [v.slice("Bearer ".length)] : []
        )

      /** Events whose annotations are frozen records from a few annotators with secrets, as enrichment makes them. */
      const eventsOf = (
        bases: ReadonlyArray<Record<string, unknown> | undefined>,
        extras: ReadonlyArray<Record<string, unknown>>,
        steps: ReadonlyArray<{ which: number; fields: Record<string, unknown> | undefined; message: string; cause: string | undefined }>,
        password: string,
        bearer: string
      ) => {
        const annotators = extras.map((extra) => LogEvent.annotator({ ...extra, password, note: `Bearer ${bearer}` }))
        return steps.map((s, i) =>
          annotators[s.which % annotators.length]!(event(s.fields, s.message, {
            annotations: bases[i % bases.length],
            cause: s.cause === undefined ? undefined : Cause.fail(new Error(s.cause))
          }))
        )
      }

      it("redacting a run of events sharing frozen annotations equals a fresh redactor per event", () => {
        fc.assert(
          fc.property(
            options,
            fc.array(fc.option(record(primitive), { nil: undefined }), { minLength: 1, maxLength: 2 }),
            fc.array(record(value), { minLength: 1, maxLength: 3 }),
            fc.array(step, { minLength: 1, maxLength: 10 }),
            hex,
            hex,
            (opts, bases, extras, steps, pw, token) => {
              const events = eventsOf(bases, extras, steps, `pw-${pw}`, `Tk${token}`)
              const shared = Redactor.make(opts)
              for (const e of events) {
                const out = shared(e)
                const expected = Redactor.make(opts)(e)
                expect(out.message).toBe(expected.message)
                expect(out.fields).toEqual(expected.fields)
                expect(out.annotations).toEqual(expected.annotations)
                expect(Encoder.make().encode(out)).toBe(Encoder.make().encode(expected))
              }
            }
          ),
          { numRuns: 1000 }
        )
      })

      it("a secret in a frozen annotations record never reaches the encoded output, event after event", () => {
        fc.assert(
          fc.property(
            fc.array(fc.option(record(primitive), { nil: undefined }), { minLength: 1, maxLength: 2 }),
            fc.array(record(value), { minLength: 1, maxLength: 3 }),
            fc.array(step, { minLength: 2, maxLength: 10 }),
            hex,
            hex,
            (bases, extras, steps, pw, token) => {
              const events = eventsOf(bases, extras, steps, `pw-${pw}`, `Tk${token}`)
              const redactEvent = Redactor.make()
              const encoder = Encoder.make()
              for (const e of events) {
                const secrets = [`pw-${pw}`, `Tk${token}`, ...secretsOf(e)]
                for (const secret of secrets) expect(JSON.stringify(e.annotations)).toContain(secret) // the input holds them
                const redacted = redactEvent(e)
                for (const line of [encoder.encode(redacted), Encoder.json.encode(redacted)]) {
                  for (const secret of secrets) expect(line).not.toContain(secret)
                }
              }
            }
          ),
          { numRuns: 500 }
        )
      })

      it("reuses the redaction of a shared frozen record while it is the same record", () => {
        const tag = LogEvent.annotator({ service: "svc", password: "pw-shared", note: "Bearer ShArEd123456" })
        const redactEvent = Redactor.make()
        const a = redactEvent(tag(event({ n: 1 })))
        const b = redactEvent(tag(event({ n: 2 }, "other")))
        expect(a.annotations).toEqual({ service: "svc", password: "[REDACTED]", note: "Bearer [REDACTED]" })
        assert.strictEqual(b.annotations, a.annotations)
        assert.isTrue(Object.isFrozen(a.annotations))
        // another record: redacted on its own
        const c = redactEvent(tag(event({ n: 3 }, "m", { annotations: { password: "pw-other" } })))
        expect(c.annotations).toEqual({ password: "[REDACTED]", service: "svc", note: "Bearer [REDACTED]" })
        expect(JSON.stringify([a, b, c])).not.toMatch(/pw-shared|pw-other|ShArEd123456/)
      })
    })

    it("a token embedded in any string, or wrapped in Redacted, at any path never reaches the encoded output", () => {
      fc.assert(
        fc.property(
          tree,
          fc.array(pathKey, { maxLength: 6 }),
          hex,
          fc.constantFrom("bearer", "jwt", "url", "redacted", "message"),
          fc.string({ maxLength: 10 }),
          fc.string({ maxLength: 10 }),
          (root, path, hexSecret, format, before, after) => {
            const secret = `Zk${hexSecret}`
            const text = format === "bearer"
              ? `${before} Bearer ${secret} ${after}`
              : format === "jwt"
              ? `${before} eyJ${secret}.eyJ${secret}.${secret} ${after}`
              : `${before} https://me:${secret}@example.com/x ${after}`
            const target = structuredClone(root) as Record<string, unknown>
            plant(target, path, "note", format === "redacted" ? Redacted.make(secret) : text)
            const input = format === "message" ? event(target, text) : event(target)
            const out = redact(input)
            expect(JSON.stringify(out)).not.toContain(secret)
          }
        ),
        { numRuns: 300 }
      )
    })
  })
})

describe("Redactor: templates and more default keys", () => {
  it("a message rendered from a template is rendered again from the redacted fields", () => {
    const redact = Redactor.make()
    const event = LogEvent.make({
      timestamp: 0,
      level: "Info",
      message: "login by bob with hunter2",
      template: "login by {user} with {password}",
      logger: "auth",
      fields: { user: "bob", password: "hunter2" }
    })
    const out = redact(event)
    expect(out.message).toBe("login by bob with [REDACTED]")
    expect(out.fields).toEqual({ user: "bob", password: "[REDACTED]" })
  })

  it("catches secret_key, secretAccessKey, aws_secret_access_key and private_key_pem", () => {
    const redact = Redactor.make()
    const fields = { secret_key: "a", secretAccessKey: "b", aws_secret_access_key: "c", private_key_pem: "d", api_key_id: "k" }
    const out = redact(LogEvent.make({ timestamp: 0, level: "Info", message: "m", logger: "x", fields }))
    expect(out.fields).toEqual({
      secret_key: "[REDACTED]",
      secretAccessKey: "[REDACTED]",
      aws_secret_access_key: "[REDACTED]",
      private_key_pem: "[REDACTED]",
      api_key_id: "k"
    })
  })
})


describe("Redactor cache and the key budget", () => {
  it("a reused annotations redaction spends the key budget the walk would have spent", () => {
    const tag = LogEvent.annotator({ a: 1, b: 2, password: "pw" })
    const shared = Redactor.make({ maxKeys: 4 })
    const inputs = [
      tag(event(undefined)), // walked: 3 of 4 keys spent, remembered
      tag(event({ x: 1, y: 2 })), // 2 left: too few to reuse it, walked and cut
      tag(event(undefined)),
      tag(event(undefined, "m", { cause: Cause.die({ k1: 1, k2: 2, token: "t" }) })), // reused: 1 key left for the cause
      tag(event(undefined))
    ]
    for (const input of inputs) {
      expect(shared(input)).toEqual(Redactor.make({ maxKeys: 4 })(input))
    }
  })
})

describe("Redactor: one secret-key rule, a sound prefilter", () => {
  it("every default secret key is also a secret query key (Http.isSecretKey shares the rule)", () => {
    const keys = [
      "ssn", "SSN", "cvv", "cvc", "passphrase", "credit_card", "creditCard", "card-number", "sessionId", "pwd",
      "db_password", "x-csrf-token", "privateKeyPem", "aws_secret_access_key", "set-cookie", "credentials"
    ]
    const field = Redactor.makeValue()
    expect(field({ password: 1 })).toEqual({ password: Redactor.defaultCensor }) // the documented default is the one used
    for (const k of keys) {
      expect((field({ [k]: "v" }) as Record<string, unknown>)[k], k).toBe("[REDACTED]")
      assert.isTrue(Http.isSecretKey(k), k)
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.constantFrom(...Redactor.defaultKeys), (prefix, entry) => {
        const key = entry.startsWith("*") ? prefix + entry.slice(1) : entry
        assert.isTrue(Http.isSecretKey(key), key)
      }),
      { numRuns: 300, seed: 11 }
    )
  })

  it("the prefilter rejects no string that a builtin pattern matches (property)", () => {
    // the builtin patterns as documented (the full regexes the scan runs after the prefilter)
    const full = [
      /\b(Bearer|Basic)(\s+)([A-Za-z0-9\-._~+/]+=*)/i,
      /(?<![\w-])eyJ[\w-]+\.[\w-]+\.[\w-]*/,
      /(?<!\d)[2-6]\d(?:[ -]?\d){11,17}(?!\d)/,
      /(?<![a-z0-9+.\-])([a-z][a-z0-9+.\-]*:\/\/)([^\s:/?#@]*):([^\s/?#]+)@/i
    ]
    const fragment = fc.oneof(
      fc.constantFrom("Bearer ", "bAsIc ", "eyJ", ".", "-", " ", "://", "https", ":", "@", "/", "?", "#", "x", "\t", "_"),
      fc.stringMatching(/^[0-9]{1,6}$/),
      fc.string({ maxLength: 4 })
    )
    let matched = 0
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 24 }), (parts) => {
        const s = parts.join("")
        if (full.some((r) => r.test(s))) {
          matched++
          assert.isTrue(Pattern.maybeSecret.test(s), JSON.stringify(s))
        }
      }),
      { numRuns: 3000, seed: 5 }
    )
    expect(matched).toBeGreaterThan(150) // the property exercised matching strings, not only misses
    for (const s of ["Bearer AbC123456789", "a eyJx.y.z", "4111 1111 1111 1111", "postgres://app:s3cret@db"]) {
      assert.isTrue(Pattern.maybeSecret.test(s), s)
    }
    for (const s of ["https://example.com/a?b#c", "The quick brown fox, digits 0123456789.", "ab"]) {
      assert.isFalse(Pattern.maybeSecret.test(s), s)
    }
  })
})
