/**
 * One cell of the workload × system matrix (`bench/lib/Matrix.ts`), in a fresh process:
 * `node bench/runners/matrix.ts --workload W --system S --events N --file PATH`.
 *
 * The Effect systems (floor, bridge, effect-builtin, fapilog) run the same Effect program, only the
 * installed logger differs — except where a workload is about effect-fapilog's facade (`child`,
 * `facade`, `full`), where effect-fapilog runs its facade and the others the Effect idiom for the
 * same output. pino and winston do the equivalent direct call. Each builds its logger untimed,
 * then is timed from the first call until everything is written and the file closed. 1 call in 61
 * is timed (call-site latency).
 *
 * @module
 */
import { NodeFileSystem } from "@effect/platform-node"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as EffectLogger from "effect/Logger"
import { once } from "node:events"
import * as Fs from "node:fs"
import { createRequire } from "node:module"
import { pino } from "pino"
import winston from "winston"
import { Fapilog, Logger, Sink } from "../../src/index.ts"
import * as Bridge from "../lib/Bridge.ts"
import * as Matrix from "../lib/Matrix.ts"
import * as Runner from "../lib/Runner.ts"
import * as Winston from "../lib/Winston.ts"
import * as Workload from "../lib/Workload.ts"

const argv = process.argv.slice(2)
const flag = (name: string): string => {
  const at = argv.indexOf(name)
  const value = at === -1 ? undefined : argv[at + 1]
  if (value === undefined) throw new Error(`matrix runner needs ${name}`)
  return value
}
const workload = Matrix.workload(flag("--workload"))
const system = Matrix.system(flag("--system"))

const { MESSAGE, USER, isSampled, now } = Runner
const HELLO = "hello world"
const ROUTE = "/api/v1/orders/:id"
const REQUEST_MESSAGES = Array.from({ length: Matrix.REQUEST_LINES }, (_, k) => `handler step ${k} done`)
const DEEP = Matrix.deepObject(
  createRequire(import.meta.url)("pino/package.json") as Record<string, unknown>
)

// -----------------------------------------------------------------------------
// Effect side
// -----------------------------------------------------------------------------

type Line = (i: number) => Effect.Effect<void>

/** `events` calls of `line`, 1 in 61 timed; `onStart` marks the first call. */
const loop = (events: number, latency: Runner.Latency, line: Line, onStart: () => void) =>
  Effect.gen(function*() {
    onStart()
    for (let i = 0; i < events; i++) {
      if (isSampled(i)) {
        const s = now()
        yield* line(i)
        latency.record((now() - s) * 1000)
      } else {
        yield* line(i)
      }
    }
  })

/**
 * Requests of `size` lines, each request's lines run by `wrap(request, start)`; one generator
 * function serves every request (its bounds passed in `first`/`end`), as `Workload.logRange` does.
 */
const requests = (
  events: number,
  latency: Runner.Latency,
  size: number,
  line: Line,
  wrap: (request: Effect.Effect<void>, start: number) => Effect.Effect<void>,
  onStart: () => void
) => {
  let first = 0
  let end = 0
  const request = Effect.gen(function*() {
    for (let i = first; i < end; i++) {
      if (isSampled(i)) {
        const s = now()
        yield* line(i)
        latency.record((now() - s) * 1000)
      } else {
        yield* line(i)
      }
    }
  })
  return Effect.gen(function*() {
    onStart()
    for (let start = 0; start < events; start += size) {
      first = start
      end = Math.min(events, start + size)
      yield* wrap(request, start)
    }
  })
}

/** The Effect program of the workload, as every Effect system but effect-fapilog's facade cells runs it. */
const effectProgram = (events: number, latency: Runner.Latency, onStart: () => void): Effect.Effect<void> => {
  switch (workload.id) {
    case "basic":
      return loop(events, latency, () => Effect.logInfo(HELLO), onStart)
    case "annotate":
      return loop(events, latency, (i) => Effect.logInfo(MESSAGE).pipe(Effect.annotateLogs({ i, user: USER })), onStart)
    case "request":
      return requests(
        events,
        latency,
        Matrix.REQUEST_LINES,
        (i) => Effect.logInfo(REQUEST_MESSAGES[i % Matrix.REQUEST_LINES]!),
        (request, start) =>
          request.pipe(
            Effect.withLogSpan("handler"),
            Effect.annotateLogs({ requestId: `req-${start / Matrix.REQUEST_LINES}`, route: ROUTE })
          ),
        onStart
      )
    case "deep":
      return loop(events, latency, () => Effect.logInfo("deep object").pipe(Effect.annotateLogs({ deep: DEEP })), onStart)
    case "long":
      return loop(events, latency, () => Effect.logInfo(Matrix.LONG_MESSAGE), onStart)
    case "child":
      return loop(events, latency, () => Effect.logInfo(HELLO), onStart).pipe(
        Effect.annotateLogs({ logger: "svc", a: "property" })
      )
    case "facade":
      return loop(events, latency, (i) => Effect.logInfo(MESSAGE, { i, user: USER }), onStart)
    case "full":
      return requests(
        events,
        latency,
        Matrix.FULL_LINES,
        (i) => Effect.logInfo(Workload.message(i), { i, user: USER }),
        (request, start) => request.pipe(Effect.annotateLogs({ correlationId: Workload.correlationId(start) })),
        onStart
      )
    case "disabled":
      return loop(events, latency, () => Effect.logDebug(HELLO), onStart)
  }
}

/** Runs `program` under `layer`; the wall time from the first call until the layer is released. */
const runEffect = async <E>(layer: Layer.Layer<never, E>, program: (onStart: () => void) => Effect.Effect<void, never, any>) => {
  let t0 = 0
  await Effect.runPromise(Effect.provide(program(() => (t0 = now())), layer) as Effect.Effect<void, E>)
  return now() - t0
}

const fapilogLayer = (file: string) => Fapilog.layer({ sinks: [Sink.file(file)], queue: { capacity: 10_000, policy: "block" } })

/** effect-fapilog: the Effect program under its layer, or its facade where the workload is about it. */
const runFapilog = async (events: number, file: string, latency: Runner.Latency): Promise<Runner.Timed> => {
  if (workload.id === "full") return Workload.runFull(events, latency, file, (log) => log.info)
  const layer = fapilogLayer(file)
  if (workload.id === "child" || workload.id === "facade") {
    const facadeId = workload.id
    return {
      wallMs: await runEffect(layer, (onStart) =>
        Effect.gen(function*() {
          if (facadeId === "child") {
            const log = (yield* Logger.named("svc")).with({ a: "property" })
            yield* loop(events, latency, () => log.info(HELLO), onStart)
          } else {
            const log = yield* Logger.named("bench")
            yield* loop(events, latency, (i) => log.info(MESSAGE, { i, user: USER }), onStart)
          }
        }))
    }
  }
  return { wallMs: await runEffect(layer, (onStart) => effectProgram(events, latency, onStart)) }
}

// -----------------------------------------------------------------------------
// direct loggers
// -----------------------------------------------------------------------------

/** The calls a direct logger (pino or winston) makes for the workload. */
interface Direct {
  readonly info: (fields: Record<string, unknown> | undefined, message: string) => void
  readonly debug: (message: string) => void
  readonly child: (fields: Record<string, unknown>) => Direct
}

const directLoop = (events: number, latency: Runner.Latency, root: Direct): void => {
  const timed = (i: number, call: () => void) => {
    if (isSampled(i)) {
      const s = now()
      call()
      latency.record((now() - s) * 1000)
    } else call()
  }
  const perRequest = (size: number, line: (child: Direct, i: number, startMs: number) => void, bind: (start: number) => Record<string, unknown>) => {
    for (let start = 0; start < events; start += size) {
      const child = root.child(bind(start))
      const startMs = Date.now()
      const end = Math.min(events, start + size)
      for (let i = start; i < end; i++) timed(i, () => line(child, i, startMs))
    }
  }
  switch (workload.id) {
    case "basic":
      for (let i = 0; i < events; i++) timed(i, () => root.info(undefined, HELLO))
      return
    case "annotate":
    case "facade":
      for (let i = 0; i < events; i++) timed(i, () => root.info({ i, user: USER }, MESSAGE))
      return
    case "request":
      return perRequest(
        Matrix.REQUEST_LINES,
        (child, i, startMs) =>
          child.info({ spans: { handler: Date.now() - startMs } }, REQUEST_MESSAGES[i % Matrix.REQUEST_LINES]!),
        (start) => ({ requestId: `req-${start / Matrix.REQUEST_LINES}`, route: ROUTE })
      )
    case "deep":
      for (let i = 0; i < events; i++) timed(i, () => root.info({ deep: DEEP }, "deep object"))
      return
    case "long":
      for (let i = 0; i < events; i++) timed(i, () => root.info(undefined, Matrix.LONG_MESSAGE))
      return
    case "child": {
      const child = root.child({ logger: "svc", a: "property" })
      for (let i = 0; i < events; i++) timed(i, () => child.info(undefined, HELLO))
      return
    }
    case "full":
      return perRequest(
        Matrix.FULL_LINES,
        (child, i) => child.info({ i, user: USER }, Workload.message(i)),
        (start) => ({ correlationId: Workload.correlationId(start) })
      )
    case "disabled":
      for (let i = 0; i < events; i++) timed(i, () => root.debug(HELLO))
      return
  }
}

const pinoDirect = (logger: pino.Logger): Direct => ({
  info: (fields, message) => fields === undefined ? logger.info(message) : logger.info(fields, message),
  debug: (message) => logger.debug(message),
  child: (fields) => pinoDirect(logger.child(fields))
})

const winstonDirect = (logger: winston.Logger): Direct => ({
  info: (fields, message) => fields === undefined ? logger.info(message) : logger.info(message, fields),
  debug: (message) => logger.debug(message),
  child: (fields) => winstonDirect(logger.child(fields))
})

/**
 * Resolves once winston's logger stream and File transport hold nothing buffered. winston 3.18
 * loses lines when `logger.end()` is called while its pipe is under backpressure (big lines: the
 * transport ends, the logger's next buffered write throws "write after end"), so the runner waits
 * for the buffers to empty before ending — polled, untimed by winston itself but inside our timing.
 */
const winstonDrained = (logger: winston.Logger, transport: winston.transport) =>
  new Promise<void>((resolve) => {
    type Buffered = { _readableState: { length: number }; _writableState: { length: number }; _drain?: boolean }
    const l = logger as unknown as Buffered
    const t = transport as unknown as Buffered
    const check = () =>
      l._readableState.length === 0 && l._writableState.length === 0 && t._writableState.length === 0 && t._drain !== true
        ? resolve()
        : setTimeout(check, 1)
    check()
  })

// -----------------------------------------------------------------------------
// the cell
// -----------------------------------------------------------------------------

Runner.main(`${workload.id}/${system.id}`, async ({ events, file }, latency): Promise<Runner.Timed> => {
  switch (system.id) {
    case "floor":
      return {
        wallMs: await runEffect(EffectLogger.layer([EffectLogger.make(() => {})]), (onStart) => effectProgram(events, latency, onStart))
      }
    case "bridge": {
      const dest = await Bridge.destination(file)
      const logger = pino(dest)
      let t0 = 0
      await Effect.runPromise(
        Effect.provide(effectProgram(events, latency, () => (t0 = now())), EffectLogger.layer([Bridge.logger(logger)]))
      )
      await Bridge.close(dest)
      return { wallMs: now() - t0 }
    }
    case "effect-builtin": {
      const layer = EffectLogger.layer([EffectLogger.toFile(EffectLogger.formatJson, file)]).pipe(
        Layer.provide(NodeFileSystem.layer)
      )
      return { wallMs: await runEffect(layer, (onStart) => effectProgram(events, latency, onStart)) }
    }
    case "fapilog":
      return runFapilog(events, file, latency)
    case "pino": {
      const dest = await Bridge.destination(file)
      const logger = pino(dest)
      const t0 = now()
      directLoop(events, latency, pinoDirect(logger))
      await Bridge.close(dest)
      return { wallMs: now() - t0 }
    }
    case "winston": {
      const { logger, transport } = await Winston.open(file)
      const t0 = now()
      directLoop(events, latency, winstonDirect(logger))
      await winstonDrained(logger, transport)
      const finished = once(transport, "finish")
      logger.end()
      await finished
      // a workload that wrote nothing may leave no file: the parent expects one (0 lines)
      if (!Fs.existsSync(file)) Fs.writeFileSync(file, "")
      return { wallMs: now() - t0 }
    }
    default:
      throw new Error(`${system.id} is a variant of ${system.runs}: the parent runs it as --system ${system.runs}`)
  }
})
