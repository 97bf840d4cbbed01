/**
 * Turns the per-round runner results into per-system summaries (medians, ratios), prints them as
 * a table, and renders the Markdown table written next to `latest.json`.
 *
 * @module
 */
import type * as Runner from "./Runner.ts"
import * as Stats from "./Stats.ts"
import * as Systems from "./Systems.ts"

/** One child run of one system in one round. */
export interface RoundEntry {
  readonly round: number
  readonly system: string
  readonly ok: boolean
  readonly result?: Runner.Result
  readonly verified?: { readonly lines: number; readonly bytes: number }
  readonly failure?: string
}

/** A system's figures over every successful round. */
export interface Summary {
  readonly id: string
  readonly label: string
  readonly rounds: number
  readonly failures: ReadonlyArray<string>
  /** Median events/s over the successful rounds (`null` when none succeeded). */
  readonly eventsPerSec: number | null
  /** Every round's events/s, in round order. */
  readonly eventsPerSecByRound: ReadonlyArray<number>
  /** Median events/s of this system divided by the baseline's median events/s. */
  readonly ratios: {
    readonly pino: number | null
    readonly pinoTransport: number | null
    readonly effectBuiltin: number | null
    readonly floor: number | null
  }
  /** Medians over rounds of each round's call-site latency percentiles, in microseconds. */
  readonly latencyUs: { readonly p50: number | null; readonly p99: number | null; readonly p999: number | null }
  /**
   * Like `latencyUs`, over the timed calls during which the calling fiber was not switched out
   * (runners that report `extra.latencyUnswitchedUs`), with the median share of timed calls that were.
   */
  readonly latencyUnswitchedUs?: {
    readonly p50: number | null
    readonly p99: number | null
    readonly p999: number | null
    readonly switchedShare: number | null
  }
  /** Highest peak RSS over the rounds, in MiB. */
  readonly maxRssMb: number | null
  /** Median peak RSS over the rounds, in MiB. */
  readonly medianRssMb: number | null
}

/**
 * Summarises the round entries for each selected system.
 *
 * @example
 * ```ts
 * import * as Report from "./Report.ts"
 * import * as Systems from "./Systems.ts"
 * const summaries = Report.summarize(Systems.all, [])
 * ```
 */
export const summarize = (
  systems: ReadonlyArray<Systems.System>,
  entries: ReadonlyArray<RoundEntry>
): ReadonlyArray<Summary> => {
  const partial = systems.map((system) => {
    const mine = entries.filter((entry) => entry.system === system.id)
    const ok = mine.flatMap((entry) => entry.ok && entry.result !== undefined ? [entry.result] : [])
    const failures = mine.flatMap((entry) =>
      entry.ok ? [] : [`round ${entry.round}: ${entry.failure ?? "failed"}`]
    )
    const eventsPerSecByRound = ok.map((result) => result.eventsPerSec)
    const rss = ok.map((result) => result.maxRssMb)
    return {
      id: system.id,
      label: system.label,
      rounds: ok.length,
      failures,
      eventsPerSec: orNull(Stats.median(eventsPerSecByRound)),
      eventsPerSecByRound,
      latencyUs: {
        p50: orNull(Stats.median(ok.map((result) => result.latencyUs.p50))),
        p99: orNull(Stats.median(ok.map((result) => result.latencyUs.p99))),
        p999: orNull(Stats.median(ok.map((result) => result.latencyUs.p999)))
      },
      ...unswitchedOf(ok),
      maxRssMb: rss.length === 0 ? null : Math.max(...rss),
      medianRssMb: orNull(Stats.median(rss))
    }
  })
  const rateOf = (id: string): number | null => partial.find((summary) => summary.id === id)?.eventsPerSec ?? null
  const ratio = (value: number | null, base: number | null): number | null =>
    value === null || base === null || base === 0 ? null : value / base
  return partial.map((summary) => ({
    ...summary,
    ratios: {
      pino: ratio(summary.eventsPerSec, rateOf(Systems.baselines.pino)),
      pinoTransport: ratio(summary.eventsPerSec, rateOf(Systems.baselines.pinoTransport)),
      effectBuiltin: ratio(summary.eventsPerSec, rateOf(Systems.baselines.effectBuiltin)),
      floor: ratio(summary.eventsPerSec, rateOf(Systems.baselines.floor))
    }
  }))
}

/**
 * Renders the summaries as a Markdown table (also readable as plain text on a terminal).
 *
 * @example
 * ```ts
 * import * as Report from "./Report.ts"
 * console.log(Report.markdown([]))
 * ```
 */
export const markdown = (summaries: ReadonlyArray<Summary>): string => {
  const header = [
    "system",
    "events/s (median)",
    "× pino",
    "× pino transport",
    "× Effect built-in",
    "× floor",
    "p50 µs",
    "p99 µs",
    "p99.9 µs",
    "peak RSS MiB",
    "rounds ok"
  ]
  const rows = summaries.map((s) => [
    s.label,
    s.eventsPerSec === null ? "failed" : Math.round(s.eventsPerSec).toLocaleString("en-US"),
    fixed(s.ratios.pino, 2),
    fixed(s.ratios.pinoTransport, 2),
    fixed(s.ratios.effectBuiltin, 2),
    fixed(s.ratios.floor, 2),
    fixed(s.latencyUs.p50, 2),
    fixed(s.latencyUs.p99, 2),
    fixed(s.latencyUs.p999, 1),
    fixed(s.maxRssMb, 0),
    `${s.rounds}/${s.rounds + s.failures.length}`
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    `| ${cells.map((cell, i) => i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)).join(" | ")} |`
  const rule = `|${widths.map((w, i) => i === 0 ? `${"-".repeat(w + 1)}-` : `${"-".repeat(w + 1)}:`).join("|")}|`
  return [line(header), rule, ...rows.map(line)].join("\n")
}

const orNull = (value: number): number | null => Number.isFinite(value) ? value : null

const fixed = (value: number | null, digits: number): string => value === null ? "–" : value.toFixed(digits)

/**
 * Renders the named-logger figures (issue 3) as a short Markdown list; tolerates missing fields
 * and failed parts (shown as failed, never as a number).
 *
 * @example
 * ```ts
 * import * as Report from "./Report.ts"
 * console.log(Report.namedMarkdown({ a: { failure: "exit code 1" } }))
 * ```
 */
export const namedMarkdown = (named: Readonly<Record<string, unknown>>): string => {
  const lines: Array<string> = []
  const a = record(named["a"])
  const b = record(named["b"])
  if (a !== undefined) {
    if (typeof a["failure"] === "string") {
      lines.push(`- (a) 1,000,000 × \`Logger.named("svc")\` + \`log.info\`: FAILED (${a["failure"]})`)
    } else {
      const metrics = record(a["metrics"])
      const workers = metrics !== undefined && typeof metrics["workerFibers"] === "number"
        ? String(metrics["workerFibers"])
        : "not exposed by `metrics` (TODO)"
      const names = Array.isArray(a["cachedNames"]) ? (a["cachedNames"] as Array<unknown>).join(", ") : "?"
      lines.push(
        `- (a) ${int(a["calls"])} × \`Logger.named("svc")\` then \`log.info\`: ` +
          `${sec(a["wallMsIncludingDrain"])} s wall including drain (${int(a["callsPerSec"])} calls/s); ` +
          `same instance every call: ${a["sameInstanceEveryCall"] === true ? "yes" : "NO"}; ` +
          `cached names afterwards: ${int(a["cachedNamesCount"])} (${names}); worker fibers: ${workers}; ` +
          `output file: ${int(a["fileLines"])} lines${a["fileOk"] === true ? " ✓" : " ✗"}`
      )
    }
  }
  if (b !== undefined) {
    if (typeof b["failure"] === "string") {
      lines.push(`- (b) 10,000 named loggers idle: FAILED (${b["failure"]})`)
    } else {
      lines.push(
        `- (b) ${int(b["loggers"])} distinct named loggers, each logged once and flushed, then idle ` +
          `${sec(b["idleWallMs"])} s: CPU ${num(b["idleCpuPercentOfOneCore"], 2)}% of one core in the first ` +
          `window after setup, ${num(b["secondIdleCpuPercentOfOneCore"], 3)}% in the next one (same process ` +
          `before the loggers existed: ${num(b["baselineIdleCpuPercentOfOneCore"], 3)}%); ` +
          `heap ${int(b["heapBytesPerFacade"])} B per cached facade (RSS ${int(b["rssBytesPerFacade"])} B); ` +
          `cached names: ${int(b["cachedNamesCount"])}; output file: ${int(b["fileLines"])} lines` +
          `${b["fileOk"] === true ? " ✓" : " ✗"}`
      )
    }
  }
  return lines.join("\n")
}

const record = (value: unknown): Readonly<Record<string, unknown>> | undefined =>
  typeof value === "object" && value !== null ? value as Record<string, unknown> : undefined

const int = (value: unknown): string => typeof value === "number" ? Math.round(value).toLocaleString("en-US") : "?"

const num = (value: unknown, digits: number): string => typeof value === "number" ? value.toFixed(digits) : "?"

const sec = (ms: unknown): string => typeof ms === "number" ? (ms / 1000).toFixed(2) : "?"

const unswitchedOf = (
  results: ReadonlyArray<Runner.Result>
): { latencyUnswitchedUs?: NonNullable<Summary["latencyUnswitchedUs"]> } => {
  const parts = results.flatMap((result) => {
    const p = result.extra?.["latencyUnswitchedUs"] as Stats.Percentiles | undefined
    const switched = result.extra?.["switchedSamples"]
    return p === undefined || typeof switched !== "number"
      ? []
      : [{ p, share: switched / Math.max(1, switched + p.samples) }]
  })
  if (parts.length === 0) return {}
  return {
    latencyUnswitchedUs: {
      p50: orNull(Stats.median(parts.map((x) => x.p.p50))),
      p99: orNull(Stats.median(parts.map((x) => x.p.p99))),
      p999: orNull(Stats.median(parts.map((x) => x.p.p999))),
      switchedShare: orNull(Stats.median(parts.map((x) => x.share)))
    }
  }
}
