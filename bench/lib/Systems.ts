/**
 * The logging systems the benchmark compares, each run by its own runner file in a fresh process.
 *
 * @module
 */

/** One benchmarked system. */
export interface System {
  /** Short id used on the command line (`--only`) and in `latest.json`. */
  readonly id: string
  /** Human-readable name for the table. */
  readonly label: string
  /** Runner file, relative to `bench/`. */
  readonly runner: string
  /** Whether the runner writes a JSON-lines file that the parent must verify. */
  readonly writesFile: boolean
}

/** The reference systems that the ratio columns divide by. */
export const baselines = {
  pino: "pino",
  pinoTransport: "pino-transport",
  effectBuiltin: "effect-builtin",
  floor: "effect-noop"
} as const

/**
 * Every system, in the order the first round runs them (later rounds rotate the order).
 *
 * @example
 * ```ts
 * import * as Systems from "./Systems.ts"
 * Systems.all.map((system) => system.id)
 * ```
 */
export const all: ReadonlyArray<System> = [
  { id: "pino", label: "pino 10 (async destination)", runner: "runners/pino.ts", writesFile: true },
  {
    id: "pino-transport",
    label: "pino 10 (worker-thread transport)",
    runner: "runners/pino-transport.ts",
    writesFile: true
  },
  { id: "winston", label: "winston 3 (File transport)", runner: "runners/winston.ts", writesFile: true },
  {
    id: "effect-builtin",
    label: "Effect Logger.toFile(formatJson)",
    runner: "runners/effect-builtin.ts",
    writesFile: true
  },
  {
    id: "fapilog-facade",
    label: "effect-fapilog (facade log.info)",
    runner: "runners/fapilog-facade.ts",
    writesFile: true
  },
  {
    id: "fapilog-effect-log",
    label: "effect-fapilog (Effect.logInfo)",
    runner: "runners/fapilog-effect-log.ts",
    writesFile: true
  },
  {
    id: "fapilog-full",
    label: "effect-fapilog full pipeline (facade)",
    runner: "runners/fapilog-full.ts",
    writesFile: true
  },
  {
    id: "fapilog-full-effect-log",
    label: "effect-fapilog full pipeline (Effect.logInfo)",
    runner: "runners/fapilog-full-effect-log.ts",
    writesFile: true
  },
  { id: "effect-noop", label: "floor: Effect.logInfo → no-op", runner: "runners/effect-noop.ts", writesFile: false }
]

/**
 * The systems named in a comma-separated `--only` list, in canonical order; throws on an
 * unknown id.
 *
 * @example
 * ```ts
 * import * as Systems from "./Systems.ts"
 * Systems.select("pino,winston").length // 2
 * ```
 */
export const select = (only: string | undefined): ReadonlyArray<System> => {
  if (only === undefined || only.trim() === "") return all
  const wanted = new Set(only.split(",").map((id) => id.trim()).filter((id) => id !== ""))
  const unknown = [...wanted].filter((id) => !all.some((system) => system.id === id))
  if (unknown.length > 0) {
    throw new Error(`unknown system(s): ${unknown.join(", ")}; known: ${all.map((s) => s.id).join(", ")}`)
  }
  return all.filter((system) => wanted.has(system.id))
}
