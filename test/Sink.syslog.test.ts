/**
 * The syslog sink against a real rsyslogd (Debian package `rsyslog`, installed by .ci/run) on
 * loopback, and against node:net servers for framing details and reconnection. Without rsyslogd
 * or openssl the tests needing them are skipped with the reason, unless
 * FAPILOG_REQUIRE_SYSTEM_TESTS=1 (CI) makes their absence a failure.
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Queue, Scope } from "effect"
import { spawn, spawnSync, type ChildProcess } from "node:child_process"
import * as dgram from "node:dgram"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import * as tls from "node:tls"
import * as LogEvent from "../src/LogEvent.ts"
import * as Sink from "../src/Sink.ts"
import * as Syslog from "../src/internal/syslog.ts"

// -----------------------------------------------------------------------------
// helpers
// -----------------------------------------------------------------------------

const event = (i: number, level: LogEvent.LogEvent["level"] = "Info", extra?: Partial<LogEvent.Input>) =>
  LogEvent.make({ timestamp: 1_700_000_000_000 + i, level, message: `event ${i}`, logger: "api", fields: { i }, ...extra })

const freePort = (type: "tcp" | "udp") =>
  Effect.callback<number>((resume) => {
    if (type === "tcp") {
      const server = net.createServer()
      server.listen(0, "127.0.0.1", () => {
        const port = (server.address() as net.AddressInfo).port
        server.close(() => resume(Effect.succeed(port)))
      })
    } else {
      const socket = dgram.createSocket("udp4")
      socket.bind(0, "127.0.0.1", () => {
        const port = socket.address().port
        socket.close(() => resume(Effect.succeed(port)))
      })
    }
  })

/** Polls (bounded) until `f` returns a value: for files written by another process. */
const eventually = <A>(f: () => A | undefined, what: string, timeoutMs = 10_000): Effect.Effect<A> =>
  Effect.gen(function*() {
    const start = performance.now()
    for (;;) {
      const a = f()
      if (a !== undefined) return a
      if (performance.now() - start > timeoutMs) return assert.fail(`timed out waiting for ${what}`)
      yield* Effect.sleep("25 millis")
    }
  })

const canConnect = (port: number) =>
  Effect.callback<boolean>((resume) => {
    const s = net.connect(port, "127.0.0.1")
    s.once("connect", () => {
      s.destroy()
      resume(Effect.succeed(true))
    })
    s.once("error", () => resume(Effect.succeed(false)))
  })

interface Rsyslog {
  readonly tcpPort: number
  readonly udpPort: number
  readonly out: string
  readonly start: Effect.Effect<void>
  readonly stop: Effect.Effect<void>
  readonly lines: () => Array<Array<string>>
}

// -----------------------------------------------------------------------------
// system programs: rsyslogd and openssl
// -----------------------------------------------------------------------------

/**
 * With `FAPILOG_REQUIRE_SYSTEM_TESTS=1` (CI sets it) a missing program fails the tests that need
 * it; otherwise those tests are skipped and the reason is printed once, so `npm test` passes on a
 * fresh machine. `FAPILOG_RSYSLOGD` names the rsyslogd binary (default: PATH, /usr/sbin, /sbin).
 */
const systemTestsRequired = process.env.FAPILOG_REQUIRE_SYSTEM_TESTS === "1"

const findProgram = (name: string, extraDirs: ReadonlyArray<string>): string | undefined => {
  for (const dir of [...(process.env.PATH ?? "").split(":"), ...extraDirs]) {
    if (dir === "") continue
    const p = path.join(dir, name)
    if (fs.existsSync(p)) return p
  }
  return undefined
}

const rsyslogdPath = process.env.FAPILOG_RSYSLOGD !== undefined
  ? fs.existsSync(process.env.FAPILOG_RSYSLOGD) ? process.env.FAPILOG_RSYSLOGD : undefined
  : findProgram("rsyslogd", ["/usr/sbin", "/sbin"])
const opensslPath = findProgram("openssl", [])

/** Why tests needing `program` are skipped here, or `undefined` when they run. */
const skipReason = (program: string, found: string | undefined, install: string): string | undefined => {
  if (found !== undefined || systemTestsRequired) return undefined
  const reason = `${program} is not installed (${install}); set FAPILOG_REQUIRE_SYSTEM_TESTS=1 to make this a failure`
  console.warn(`effect-fapilog tests: skipping the tests that need ${program}: ${reason}`)
  return reason
}
const rsyslogSkipped = skipReason("rsyslogd", rsyslogdPath, "apt-get install -y rsyslog")
const opensslSkipped = skipReason("openssl", opensslPath, "apt-get install -y openssl")

const rsyslogd = (): string =>
  rsyslogdPath ?? assert.fail(
    "rsyslogd is not installed: the syslog tests need a real rsyslog receiver. " +
      "Install the Debian package (apt-get install -y rsyslog); .ci/run does this."
  )

/** A real rsyslogd on free loopback ports writing every received message's parsed fields to a file. */
const rsyslog = Effect.acquireRelease(
  Effect.gen(function*() {
    const bin = rsyslogd()
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fapilog-rsyslog-"))
    const tcpPort = yield* freePort("tcp")
    const udpPort = yield* freePort("udp")
    const out = path.join(dir, "out.log")
    const conf = path.join(dir, "rsyslog.conf")
    fs.writeFileSync(
      conf,
      `global(workDirectory="${dir}" maxMessageSize="64k")
module(load="imtcp")
module(load="imudp")
template(name="fields" type="list") {
  property(name="pri") constant(value="\\t")
  property(name="timereported" dateFormat="rfc3339") constant(value="\\t")
  property(name="hostname") constant(value="\\t")
  property(name="app-name") constant(value="\\t")
  property(name="procid") constant(value="\\t")
  property(name="msgid") constant(value="\\t")
  property(name="structured-data") constant(value="\\t")
  property(name="msg" droplastlf="on") constant(value="\\n")
}
ruleset(name="in") {
  action(type="omfile" file="${out}" template="fields" flushOnTXEnd="on" asyncWriting="off")
}
input(type="imtcp" port="${tcpPort}" address="127.0.0.1" ruleset="in")
input(type="imudp" port="${udpPort}" address="127.0.0.1" ruleset="in")
`
    )
    const check = spawnSync(bin, ["-N1", "-f", conf], { encoding: "utf8" })
    assert.strictEqual(check.status, 0, `rsyslog rejected the config: ${check.stderr}`)
    let child: ChildProcess | undefined
    const start = Effect.gen(function*() {
      child = spawn(bin, ["-n", "-f", conf, "-i", path.join(dir, "rsyslogd.pid")], { stdio: "ignore" })
      const started = performance.now()
      while (!(yield* canConnect(tcpPort))) {
        if (performance.now() - started > 10_000) assert.fail("rsyslogd did not start listening")
        yield* Effect.sleep("25 millis")
      }
    })
    const stop = Effect.callback<void>((resume) => {
      const c = child
      if (c === undefined || c.exitCode !== null) return resume(Effect.void)
      c.once("exit", () => resume(Effect.void))
      c.kill("SIGTERM")
    })
    const lines = () =>
      fs.existsSync(out)
        ? fs.readFileSync(out, "utf8").split("\n").filter((l) => l !== "").map((l) => l.split("\t"))
        : []
    yield* start
    return { tcpPort, udpPort, out, start, stop, lines, dir } satisfies Rsyslog & { dir: string }
  }),
  (r) => Effect.andThen(r.stop, Effect.sync(() => fs.rmSync(r.dir, { recursive: true, force: true })))
)

/** A node:net server collecting raw bytes, restartable on the same port. */
const rawServer = (port = 0) =>
  Effect.callback<{ server: net.Server; port: number; data: () => Buffer; sockets: Set<net.Socket> }>((resume) => {
    const chunks: Array<Buffer> = []
    const sockets = new Set<net.Socket>()
    const server = net.createServer((s) => {
      sockets.add(s)
      s.on("data", (c) => chunks.push(c))
      s.on("close", () => sockets.delete(s))
    })
    server.listen(port, "127.0.0.1", () =>
      resume(Effect.succeed({ server, port: (server.address() as net.AddressInfo).port, data: () => Buffer.concat(chunks), sockets })))
  })

const stopServer = (s: { server: net.Server; sockets: Set<net.Socket> }) =>
  Effect.callback<void>((resume) => {
    for (const socket of s.sockets) socket.destroy()
    s.server.close(() => resume(Effect.void))
  })

/** Splits an octet-counted stream into messages, checking every length. */
const unframe = (buf: Buffer): Array<string> => {
  const out: Array<string> = []
  let pos = 0
  while (pos < buf.length) {
    const sp = buf.indexOf(0x20, pos)
    const len = Number(buf.subarray(pos, sp).toString("ascii"))
    assert.isTrue(Number.isInteger(len) && len > 0, `bad frame length at ${pos}`)
    out.push(buf.subarray(sp + 1, sp + 1 + len).toString("utf8"))
    pos = sp + 1 + len
  }
  assert.strictEqual(pos, buf.length)
  return out
}

/** Connection events of a sink as a queue. */
const connectionEvents = Effect.map(Queue.unbounded<boolean>(), (q) => ({
  q,
  onConnection: (e: { readonly connected: boolean }) => {
    Queue.offerUnsafe(q, e.connected)
  }
}))

const awaitConnection = (q: Queue.Queue<boolean>, connected: boolean): Effect.Effect<void> =>
  Effect.flatMap(Queue.take(q), (c) => c === connected ? Effect.void : awaitConnection(q, connected))

// -----------------------------------------------------------------------------
// tests
// -----------------------------------------------------------------------------

describe("Sink.syslog", () => {
  it("formatting: PRI, header, escaped structured data", () => {
    const format: Syslog.Format = { facility: 16, hostname: "h", appName: "app", procId: "7", sdId: "fapilog@32473", body: "json" }
    const e = event(1, "Warn", { correlationId: "a\"b]c\\d" })
    const msg = Syslog.formatMessage(e, "{\"x\":1}", format)
    assert.strictEqual(
      msg,
      "<132>1 2023-11-14T22:13:20.001Z h app 7 api [fapilog@32473 logger=\"api\" correlation_id=\"a\\\"b\\]c\\\\d\"] {\"x\":1}"
    )
    assert.strictEqual(Syslog.headerField("my app\n", 48), "myapp")
    assert.strictEqual(Syslog.headerField("", 48), "-")
    const cut = Syslog.truncateUtf8("aé€😀", 5)
    assert.strictEqual(cut.toString("utf8"), "aé")
    assert.strictEqual(Syslog.truncateUtf8("aé€😀", 6).toString("utf8"), "aé€")
    assert.strictEqual(Syslog.truncateUtf8("aé€😀", 10).toString("utf8"), "aé€😀")
    assert.strictEqual(Syslog.formatMessage(event(1, "Info", { message: "a\nb" }), "", { ...format, body: "message", sdId: undefined }).split(" ").at(-2), "-")
  })

  describe.skipIf(rsyslogSkipped !== undefined)(`against a real rsyslogd${rsyslogSkipped === undefined ? "" : ` (skipped: ${rsyslogSkipped})`}`, () => {
    it.live("rsyslog over TCP: messages arrive parsed (PRI, timestamp, host, app, procid, msgid, SD, JSON MSG)", () =>
      Effect.gen(function*() {
        const r = yield* rsyslog
        const { onConnection, q } = yield* connectionEvents
        const writer = yield* Sink.syslog({ port: r.tcpPort, facility: "local0", appName: "fapi", hostname: "testhost", onConnection }).open
        yield* awaitConnection(q, true)
        const levels = ["Info", "Warn", "Error", "Fatal", "Debug", "Trace"] as const
        yield* writer.write(Sink.makeBatch(levels.map((l, i) => event(i, l, { correlationId: `c"${i}]`, fields: { i, text: "é ü 😀" } }))))
        yield* writer.flush!
        const lines = yield* eventually(() => {
          const l = r.lines()
          return l.length >= 6 ? l : undefined
        }, "6 messages in rsyslog's output")
        assert.deepStrictEqual(lines.map((l) => l[0]), ["134", "132", "131", "130", "135", "135"])
        const [pri, time, host, app, procid, msgid, sd, msg] = lines[0]!
        assert.strictEqual(pri, "134")
        // rsyslog re-renders the reported time; 1_700_000_000_000 ms is 2023-11-14T22:13:20.000Z
        assert.strictEqual(Date.parse(time!), 1_700_000_000_000)
        assert.strictEqual(host, "testhost")
        assert.strictEqual(app, "fapi")
        assert.strictEqual(procid, String(process.pid))
        assert.strictEqual(msgid, "api")
        assert.strictEqual(sd, "[fapilog@32473 logger=\"api\" correlation_id=\"c\\\"0\\]\"]")
        const json = JSON.parse(msg!)
        assert.strictEqual(json.msg, "event 0")
        assert.strictEqual(json.text, "é ü 😀")
        assert.strictEqual(writer.takeLost!(), 0)
      }).pipe(Effect.scoped))

    it.live("rsyslog over UDP: one datagram per message, long ones cut at a UTF-8 boundary", () =>
      Effect.gen(function*() {
        const r = yield* rsyslog
        const writer = yield* Sink.syslog({ port: r.udpPort, transport: "udp", maxMessageBytes: 300, body: "message" }).open
        yield* writer.write(Sink.makeBatch([event(1), event(2, "Error", { message: "é".repeat(1000) })]))
        yield* writer.flush!
        const lines = yield* eventually(() => {
          const l = r.lines()
          return l.length >= 2 ? l : undefined
        }, "2 UDP messages")
        const byPri = new Map(lines.map((l) => [l[0], l]))
        assert.strictEqual(byPri.get("14")![7], "event 1")
        const long = byPri.get("11")![7]!
        assert.match(long, /^é+$/)
        assert.isBelow(Buffer.byteLength(long), 300)
        assert.strictEqual(writer.takeLost!(), 0)
      }).pipe(Effect.scoped))

    it.live("rsyslog restarted mid-stream: the sink reconnects and delivers what was logged meanwhile", () =>
      Effect.gen(function*() {
        const r = yield* rsyslog
        const { onConnection, q } = yield* connectionEvents
        const writer = yield* Sink.syslog({ port: r.tcpPort, reconnectBase: "20 millis", reconnectMax: "200 millis", onConnection }).open
        yield* awaitConnection(q, true)
        yield* writer.write(Sink.makeBatch(Array.from({ length: 10 }, (_, i) => event(i))))
        yield* writer.flush!
        yield* eventually(() => r.lines().length >= 10 ? true : undefined, "first 10 messages")
        yield* r.stop
        yield* awaitConnection(q, false)
        yield* writer.write(Sink.makeBatch(Array.from({ length: 10 }, (_, i) => event(10 + i))))
        const notConnected = yield* Effect.flip(writer.flush!)
        assert.include(notConnected.message, "10 messages buffered")
        yield* r.start
        yield* awaitConnection(q, true)
        yield* writer.flush!
        const lines = yield* eventually(() => {
          const l = r.lines()
          return l.length >= 20 ? l : undefined
        }, "all 20 messages")
        assert.deepStrictEqual(lines.map((l) => JSON.parse(l[7]!).i), Array.from({ length: 20 }, (_, i) => i))
        assert.strictEqual(writer.takeLost!(), 0)
      }).pipe(Effect.scoped))
  })

  it.live("node:net: octet counting uses UTF-8 byte lengths; newline framing ends each message", () =>
    Effect.gen(function*() {
      const s = yield* rawServer()
      const scope = yield* Scope.make()
      const { onConnection, q } = yield* connectionEvents
      const writer = yield* Scope.provide(Sink.syslog({ port: s.port, onConnection }).open, scope)
      yield* awaitConnection(q, true)
      yield* writer.write(Sink.makeBatch([event(1, "Info", { message: "ünïcødé 😀\nsecond line" }), event(2)]))
      yield* Scope.close(scope, Exit.void)
      const messages = yield* eventually(() => {
        const d = s.data()
        return d.length > 0 && unframe(d).length === 2 ? unframe(d) : undefined
      }, "two frames")
      assert.match(messages[0]!, /^<14>1 \S+ \S+ \S+ \d+ api \[fapilog@32473 logger="api"\] \{/)
      assert.strictEqual(JSON.parse(messages[0]!.slice(messages[0]!.indexOf("{"))).msg, "ünïcødé 😀\nsecond line")

      const scope2 = yield* Scope.make()
      const events2 = yield* connectionEvents
      const s2 = yield* rawServer()
      const writer2 = yield* Scope.provide(
        Sink.syslog({ port: s2.port, framing: "newline", structuredData: false, onConnection: events2.onConnection }).open,
        scope2
      )
      yield* awaitConnection(events2.q, true)
      yield* writer2.write(Sink.makeBatch([event(3), event(4)]))
      yield* Scope.close(scope2, Exit.void)
      const text = yield* eventually(() => {
        const t = s2.data().toString("utf8")
        return t.split("\n").length === 3 ? t : undefined
      }, "two lines")
      const lines = text.split("\n")
      assert.strictEqual(lines[2], "")
      assert.match(lines[0]!, /^<14>1 \S+ \S+ \S+ \d+ api - \{"time"/)
      yield* stopServer(s)
      yield* stopServer(s2)
    }))

  it.live("node:net: server restart — buffered events delivered, overflow counted", () =>
    Effect.gen(function*() {
      let s = yield* rawServer()
      const port = s.port
      const { onConnection, q } = yield* connectionEvents
      const writer = yield* Sink.syslog({ port, maxBuffered: 10, reconnectBase: "20 millis", reconnectMax: "100 millis", onConnection }).open
      yield* awaitConnection(q, true)
      yield* writer.write(Sink.makeBatch([event(0)]))
      yield* writer.flush!
      yield* eventually(() => s.data().length > 0 ? true : undefined, "first event")
      const first = s.data()
      yield* stopServer(s)
      yield* awaitConnection(q, false)
      yield* writer.write(Sink.makeBatch(Array.from({ length: 15 }, (_, i) => event(1 + i))))
      assert.strictEqual(writer.takeLost!(), 5)
      s = yield* rawServer(port)
      yield* awaitConnection(q, true)
      const overflow = yield* Effect.flip(writer.flush!)
      assert.include(overflow.message, "5 oldest dropped")
      yield* writer.flush!
      const got = yield* eventually(() => {
        const m = s.data().length > 0 ? unframe(s.data()) : []
        return m.length >= 10 ? m : undefined
      }, "10 buffered events")
      const ids = got.map((m) => JSON.parse(m.slice(m.indexOf("{"))).i)
      assert.deepStrictEqual(ids, [6, 7, 8, 9, 10, 11, 12, 13, 14, 15])
      assert.strictEqual(unframe(first).length, 1)
      yield* stopServer(s)
    }).pipe(Effect.scoped))

  it.live("node:net: a receiver that stops reading fills the bounded buffer; overflow is counted, memory stays bounded", () =>
    Effect.gen(function*() {
      // accepts, then never reads: the kernel buffers fill and the socket's writable buffer grows
      const sockets = new Set<net.Socket>()
      const server = net.createServer((socket) => {
        sockets.add(socket)
        socket.pause()
      })
      const port = yield* Effect.callback<number>((resume) => {
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as net.AddressInfo).port)))
      })
      const { onConnection, q } = yield* connectionEvents
      const writer = yield* Sink.syslog({ port, maxBuffered: 100, closeTimeout: "50 millis", onConnection }).open
      yield* awaitConnection(q, true)
      const payload = "x".repeat(4000)
      let lost = 0
      for (let b = 0; b < 100; b++) {
        yield* writer.write(Sink.makeBatch(Array.from({ length: 100 }, (_, i) => event(b * 100 + i, "Info", { fields: { payload } }))))
        lost += writer.takeLost!()
      }
      // 10,000 messages of ~4 KB (~40 MB) cannot all be held: what the kernel takes, ~1 MB on the
      // socket and 100 buffered; the rest is counted (without backpressure nothing would be)
      assert.isAbove(lost, 5_000)
      for (const socket of sockets) socket.destroy()
      yield* Effect.callback<void>((resume) => {
        server.close(() => resume(Effect.void))
      })
    }).pipe(Effect.scoped))

  it.live("node:net: reconnect while a drain is pending — frames buffered on the new connection still go out", () =>
    Effect.gen(function*() {
      // connection 1 is never read, so frames pile up in the sink's buffer waiting for its
      // 'drain'; the server then drops it. Connection 2 is read normally, but the sink's buffer
      // is handed to it at once (several MB), so frames sent right after the reconnection are
      // buffered again and must go out when connection 2 drains.
      const received: Array<Buffer> = []
      const sockets: Array<net.Socket> = []
      const server = net.createServer((socket) => {
        sockets.push(socket)
        if (sockets.length === 1) socket.pause()
        else socket.on("data", (c: Buffer) => received.push(c))
      })
      const port = yield* Effect.callback<number>((resume) => {
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as net.AddressInfo).port)))
      })
      const { onConnection, q } = yield* connectionEvents
      const writer = yield* Sink.syslog({ port, maxBuffered: 2_000, reconnectBase: "20 millis", reconnectMax: "50 millis", onConnection }).open
      yield* awaitConnection(q, true)
      const payload = "x".repeat(4000)
      for (let b = 0; b < 50; b++) {
        yield* writer.write(Sink.makeBatch(Array.from({ length: 100 }, (_, i) => event(b * 100 + i, "Info", { fields: { payload } }))))
      }
      sockets[0]!.destroy()
      yield* awaitConnection(q, false)
      yield* awaitConnection(q, true)
      const marked = Array.from({ length: 100 }, (_, i) => event(1_000_000 + i, "Info", { fields: { i: 1_000_000 + i, payload } }))
      yield* writer.write(Sink.makeBatch(marked))
      // the first flush reports what connection 1 lost; the next one must find everything out
      yield* Effect.ignore(writer.flush!)
      yield* writer.flush!
      const ids = yield* eventually(() => {
        const all = Buffer.concat(received)
        const text = all.toString("latin1")
        const n = text.split("\"i\":100").length - 1
        return n >= 100 ? text : undefined
      }, "the 100 frames sent after the reconnection")
      assert.include(ids, "\"i\":1000099")
      for (const socket of sockets) socket.destroy()
      yield* Effect.callback<void>((resume) => {
        server.close(() => resume(Effect.void))
      })
    }).pipe(Effect.scoped))

  it.live("TCP: the layer does not wait for an absent receiver; flush reports what is buffered", () =>
    Effect.gen(function*() {
      const port = yield* freePort("tcp")
      const done = yield* Deferred.make<void>()
      const writer = yield* Sink.syslog({
        port,
        reconnectBase: "20 millis",
        closeTimeout: "50 millis",
        onConnection: (e) => {
          if (!e.connected) Deferred.doneUnsafe(done, Exit.void)
        }
      }).open
      yield* Deferred.await(done)
      yield* writer.write(Sink.makeBatch([event(1), event(2)]))
      const error = yield* Effect.flip(writer.flush!)
      assert.include(error.message, "2 messages buffered")
    }).pipe(Effect.scoped))
  it.live.skipIf(opensslSkipped !== undefined)(
    `TLS: messages arrive over a verified TLS connection (node:tls server, self-signed CA)${opensslSkipped === undefined ? "" : ` (skipped: ${opensslSkipped})`}`,
    () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fapilog-tls-"))
      const key = path.join(dir, "key.pem")
      const cert = path.join(dir, "cert.pem")
      const openssl = opensslPath ?? assert.fail("openssl is not installed (apt-get install -y openssl); the TLS test needs it to make a certificate")
      const r = spawnSync(openssl, [
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
        "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"
      ], { encoding: "utf8" })
      assert.strictEqual(r.status, 0, `openssl failed: ${r.stderr}`)
      const chunks: Array<Buffer> = []
      const server = tls.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (socket) => {
        socket.on("data", (c: Buffer) => chunks.push(c))
      })
      const port = yield* Effect.callback<number>((resume) => {
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as net.AddressInfo).port)))
      })
      const { onConnection, q } = yield* connectionEvents
      const scope = yield* Scope.make()
      const writer = yield* Scope.provide(
        Sink.syslog({ port, transport: "tls", tls: { ca: fs.readFileSync(cert) }, onConnection }).open,
        scope
      )
      yield* awaitConnection(q, true)
      yield* writer.write(Sink.makeBatch([event(1), event(2)]))
      yield* writer.flush!
      yield* Scope.close(scope, Exit.void)
      const messages = yield* eventually(() => {
        const d = Buffer.concat(chunks)
        return d.length > 0 && unframe(d).length === 2 ? unframe(d) : undefined
      }, "two TLS frames")
      assert.deepStrictEqual(messages.map((m) => JSON.parse(m.slice(m.indexOf("{"))).i), [1, 2])
      yield* Effect.callback<void>((resume) => {
        server.close(() => resume(Effect.void))
      })
      fs.rmSync(dir, { recursive: true, force: true })
    }))
})
