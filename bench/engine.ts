/**
 * The engine without the call site: prebuilt events offered to one worker directly
 * (`offerUnsafe`, yielding every 1,024 like a logging fiber), into a writer that only counts (or
 * reads the batch's text with `--encode`, in pieces where the batch has them, as the file sink does), then `flush`; CPU time per event, 4 passes in one process.
 * With `--root DIR` the same harness runs another checkout's `src/` (an A/B across commits: the
 * worker constructor is `internal/engine/worker.ts`'s `make`, or `Worker.make` before it moved).
 *
 * `node bench/engine.ts [--encode] [--redact] [--root DIR] [--events N] [--batch N]` (events per
 * pass, default 1,000,000; the worker's batch size, default 256; run from the project, whose Node and
 * `effect` are used). Used for the engine-rewrite comparison in `docs/benchmarks.md`.
 *
 * @module
 */
import * as Path from "node:path"

const argv = process.argv.slice(2)
const rootAt = argv.indexOf("--root")
const root = Path.resolve(rootAt >= 0 ? argv[rootAt + 1]! : Path.join(import.meta.dirname, ".."))
const encode = argv.includes("--encode")
const redact = argv.includes("--redact")

// loaded by path so that `--root` can point at another checkout (its own `src/`, this `effect`)
type Any = any
const Effect: Any = await import(Path.join(import.meta.dirname, "../node_modules/effect/dist/Effect.js"))
const LogEvent: Any = await import(Path.join(root, "src/LogEvent.ts"))
const Worker: Any = await import(Path.join(root, "src/Worker.ts"))
const Sink: Any = await import(Path.join(root, "src/Sink.ts"))
const Redactor: Any = await import(Path.join(root, "src/Redactor.ts"))
const internal: Any = await import(Path.join(root, "src/internal/engine/worker.ts")).catch(() => undefined)

const eventsAt = argv.indexOf("--events")
const N = eventsAt >= 0 ? Number(argv[eventsAt + 1]) : 1_000_000
const events: Array<unknown> = Array.from({ length: 4096 }, (_, i) =>
  LogEvent.make({ timestamp: 1764633600000 + (i >> 8), level: "Info", message: "user logged in", logger: "bench", fields: { i, user: "u" + (i % 100) } }))
let bytes = 0
let count = 0
const writer = {
  write: (batch: Any) =>
    Effect.sync(() => {
      // what the file sink reads: the pieces of the text when the batch has them (this checkout's
      // batches; joining them would be a copy the file sink never makes), else the text
      if (encode) for (const piece of batch.ndjsonChunks ?? [batch.ndjson]) bytes += piece.length
      count += batch.events.length
    })
}
const batchAt = argv.indexOf("--batch")
const options = { ...Worker.defaults, name: "bench", ...(batchAt >= 0 ? { batchSize: Number(argv[batchAt + 1]) } : {}), ...(redact ? { pipeline: Redactor.pipeline({}) } : {}) }
const writers = [{ name: "count", writer }]

const program = Effect.scoped(Effect.gen(function*() {
  const worker: Any = yield* (internal !== undefined ? internal.make(options, writers, Sink.makeBatch) : Worker.make(options, writers))
  const passes: Array<string> = []
  for (let pass = 0; pass < 4; pass++) {
    const t0 = process.cpuUsage()
    for (let i = 0; i < N; i++) {
      worker.offerUnsafe(events[i & 4095])
      if ((i & 1023) === 1023) yield* Effect.yieldNow
    }
    yield* worker.flush
    const t = process.cpuUsage(t0)
    passes.push(((t.user + t.system) * 1000 / N).toFixed(0))
  }
  const m = worker.metricsUnsafe()
  process.stdout.write(
    `${Path.basename(root)}${encode ? " encode" : ""}${redact ? " redact" : ""}: CPU ns per event by pass ${passes.join(" ")}` +
      ` (written ${count.toLocaleString("en-US")}, dropped ${m.droppedTotal}, batches ${m.batches}${encode ? `, ${bytes} chars` : ""})\n`
  )
}))

await Effect.runPromise(program)
