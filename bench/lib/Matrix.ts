/**
 * The workload × system matrix of issue 17: the shapes Effect programs really log, each run by
 * every comparable system in a fresh process (`bench/runners/matrix.ts`).
 *
 * A workload names an Effect-side call shape (what an Effect program writes) and its equivalent
 * for the direct loggers (pino, winston). A system names who does the logging. The floor of a
 * workload is the same Effect program into a no-op `Logger.make`: what Effect itself costs, which
 * no Effect logger can beat. Data only: the runner implements each pair, the parent
 * (`bench/run.ts`) runs them and `bench/lib/MatrixReport.ts` summarises them.
 *
 * @module
 */

/** A matrix system id. */
export type SystemId = "floor" | "pino" | "bridge" | "effect-builtin" | "winston" | "fapilog" | "floor-np" | "fapilog-np"

/** A matrix workload id. */
export type WorkloadId =
  | "basic"
  | "annotate"
  | "request"
  | "deep"
  | "long"
  | "child"
  | "facade"
  | "full"
  | "disabled"

/** One system of the matrix. */
export interface System {
  readonly id: SystemId
  readonly label: string
  /** Whether it writes a JSON-lines file the parent must check line by line. */
  readonly writesFile: boolean
  /** The system the runner runs (a variant runs its base system with other Node flags). */
  readonly runs: SystemId
  /** Flags for the Node process of this system's cells. */
  readonly nodeArgs: ReadonlyArray<string>
}

/** One workload of the matrix. */
export interface Workload {
  readonly id: WorkloadId
  readonly label: string
  /** The Effect-side call, as a user writes it (shown in the tables). */
  readonly effectCall: string
  /** The direct loggers' equivalent call. */
  readonly directCall: string
  /** Events per run = the run's base event count × `scale` (big lines get fewer events). */
  readonly scale: number
  /** Lines each system must have written for `events` events. */
  readonly linesFor: (events: number) => number
  /** The systems that run this workload, in table order. */
  readonly systems: ReadonlyArray<SystemId>
}

/** Every system, in table order. */
export const systems: ReadonlyArray<System> = [
  { id: "floor", label: "floor: same Effect program → no-op Logger.make", writesFile: false, runs: "floor", nodeArgs: [] },
  { id: "pino", label: "pino 10 direct (async destination)", writesFile: true, runs: "pino", nodeArgs: [] },
  {
    id: "bridge",
    label: "Effect → pino bridge (Logger.make → pino async destination)",
    writesFile: true,
    runs: "bridge",
    nodeArgs: []
  },
  { id: "effect-builtin", label: "Effect Logger.toFile(Logger.formatJson)", writesFile: true, runs: "effect-builtin", nodeArgs: [] },
  { id: "winston", label: "winston 3 (File transport)", writesFile: true, runs: "winston", nodeArgs: [] },
  { id: "fapilog", label: "effect-fapilog (defaults, redaction on)", writesFile: true, runs: "fapilog", nodeArgs: [] },
  {
    id: "floor-np",
    label: "floor, node --no-allocation-site-pretenuring",
    writesFile: false,
    runs: "floor",
    nodeArgs: ["--no-allocation-site-pretenuring"]
  },
  {
    id: "fapilog-np",
    label: "effect-fapilog, node --no-allocation-site-pretenuring",
    writesFile: true,
    runs: "fapilog",
    nodeArgs: ["--no-allocation-site-pretenuring"]
  }
]

/**
 * The systems of `workload` in table order; with `pretenuring`, also the floor and effect-fapilog
 * run with V8's allocation-site pretenuring off (`--pretenuring`): the figures without the slow GC
 * mode that pretenuring Effect's `SingleShotGen` result literal causes (docs/benchmarks.md). A
 * V8 flag of the benchmark's child processes, not a patch of the runtime.
 *
 * @example
 * ```ts
 * import * as Matrix from "./Matrix.ts"
 * Matrix.systemsOf(Matrix.workload("basic"), true).length // 8
 * ```
 */
export const systemsOf = (workload: Workload, pretenuring: boolean): ReadonlyArray<SystemId> =>
  pretenuring
    ? [
      ...workload.systems,
      ...(workload.systems.includes("floor") ? ["floor-np" as const] : []),
      ...(workload.systems.includes("fapilog") ? ["fapilog-np" as const] : [])
    ]
    : workload.systems

/** The baselines the ratio columns divide by. */
export const baselines = ["pino", "bridge", "effect-builtin", "floor"] as const

/** A baseline id. */
export type Baseline = typeof baselines[number]

const every: ReadonlyArray<SystemId> = ["floor", "pino", "bridge", "effect-builtin", "winston", "fapilog"]
const all = (events: number) => events

/** Lines per request of the request-shaped workload. */
export const REQUEST_LINES = 10

/** Lines per request of the full-pipeline workload (as `bench/lib/Workload.ts`). */
export const FULL_LINES = 16

/** The 2,000-character message of the long-string workload. */
export const LONG_MESSAGE: string = (() => {
  const words = "The quick brown fox jumps over the lazy dog; \"quoted\" text, digits 0123456789 and a tab\tend. "
  let out = ""
  while (out.length < 2000) out += words
  return out.slice(0, 2000)
})()

/**
 * Every workload, in table order. Direct loggers' equivalents are chosen to write the same
 * information (a child logger where Effect annotates a region, a `spans` field where Effect has a
 * log span).
 */
export const workloads: ReadonlyArray<Workload> = [
  {
    id: "basic",
    label: "basic",
    effectCall: "Effect.logInfo(\"hello world\")",
    directCall: "logger.info(\"hello world\")",
    scale: 1,
    linesFor: all,
    systems: every
  },
  {
    id: "annotate",
    label: "annotate-per-call",
    effectCall: "Effect.logInfo(msg).pipe(Effect.annotateLogs({ i, user }))",
    directCall: "logger.info({ i, user }, msg)",
    scale: 1,
    linesFor: all,
    systems: every
  },
  {
    id: "request",
    label: "request-shaped",
    effectCall:
      `${REQUEST_LINES} × Effect.logInfo(msg) per request, under Effect.annotateLogs({ requestId, route }) + Effect.withLogSpan("handler")`,
    directCall: `logger.child({ requestId, route }) per request, then ${REQUEST_LINES} × child.info({ spans: { handler: ms } }, msg)`,
    scale: 1,
    linesFor: all,
    systems: every
  },
  {
    id: "deep",
    label: "deep object",
    effectCall: "Effect.logInfo(\"deep object\").pipe(Effect.annotateLogs({ deep }))  (pino's deep-object shape: its package.json nested 4 levels)",
    directCall: "logger.info({ deep }, \"deep object\")",
    scale: 0.025,
    linesFor: all,
    systems: every
  },
  {
    id: "long",
    label: "long string",
    effectCall: "Effect.logInfo(message of 2,000 characters)",
    directCall: "logger.info(message of 2,000 characters)",
    scale: 0.5,
    linesFor: all,
    systems: every
  },
  {
    id: "child",
    label: "child",
    effectCall:
      "fapilog: (yield* Logger.named(\"svc\")).with({ a: \"property\" }).info(\"hello world\"); others: Effect.logInfo(\"hello world\") under one Effect.annotateLogs({ logger: \"svc\", a: \"property\" })",
    directCall: "logger.child({ logger: \"svc\", a: \"property\" }) once, then child.info(\"hello world\")",
    scale: 1,
    linesFor: all,
    systems: every
  },
  {
    id: "facade",
    label: "facade, flat fields",
    effectCall: "fapilog: log.info(msg, { i, user }) (Logger.named(\"bench\")); others: Effect.logInfo(msg, { i, user })",
    directCall: "logger.info({ i, user }, msg)",
    scale: 1,
    linesFor: all,
    systems: every
  },
  {
    id: "full",
    label: "full pipeline",
    effectCall:
      `requests of ${FULL_LINES} lines; fapilog: log.info(msg, { i, user }) under Logger.withCorrelationId with enrich + redact + byCorrelation(1) + Aggregator.repetitive(); others: Effect.logInfo(msg, { i, user }) under Effect.annotateLogs({ correlationId })`,
    directCall: `logger.child({ correlationId }) per request, then child.info({ i, user }, msg)`,
    scale: 1,
    linesFor: all,
    systems: every
  },
  {
    id: "disabled",
    label: "disabled path",
    effectCall: "Effect.logDebug(\"hello world\") with the minimum level at Info (nothing written)",
    directCall: "logger.debug(\"hello world\") with the level at info",
    scale: 5,
    linesFor: () => 0,
    systems: ["floor", "pino", "fapilog"]
  }
]

/** The workload with this id; throws on an unknown one. */
export const workload = (id: string): Workload => {
  const found = workloads.find((w) => w.id === id)
  if (found === undefined) throw new Error(`unknown workload ${id}; known: ${workloads.map((w) => w.id).join(", ")}`)
  return found
}

/** The system with this id; throws on an unknown one. */
export const system = (id: string): System => {
  const found = systems.find((s) => s.id === id)
  if (found === undefined) throw new Error(`unknown system ${id}; known: ${systems.map((s) => s.id).join(", ")}`)
  return found
}

/**
 * The workloads named in a comma-separated `--only` list (all when `undefined`), in table order.
 *
 * @example
 * ```ts
 * import * as Matrix from "./Matrix.ts"
 * Matrix.select("basic,long").map((w) => w.id) // ["basic", "long"]
 * ```
 */
export const select = (only: string | undefined): ReadonlyArray<Workload> => {
  if (only === undefined || only.trim() === "") return workloads
  const wanted = only.split(",").map((id) => id.trim()).filter((id) => id !== "")
  for (const id of wanted) workload(id)
  return workloads.filter((w) => wanted.includes(w.id))
}

/**
 * pino's deep-object shape (pino's `benchmarks/deep-object.bench.js`): its package.json with
 * `level: "info"`, nested under `deep` three times, each level a JSON copy of the one above.
 */
export const deepObject = (packageJson: Readonly<Record<string, unknown>>): Record<string, unknown> => {
  const deep: Record<string, unknown> = { ...packageJson, level: "info" }
  const copy = () => JSON.parse(JSON.stringify(deep)) as Record<string, unknown>
  deep["deep"] = copy()
  ;(deep["deep"] as Record<string, unknown>)["deep"] = copy()
  ;((deep["deep"] as Record<string, unknown>)["deep"] as Record<string, unknown>)["deep"] = copy()
  return deep
}
