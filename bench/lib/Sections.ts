/**
 * The figures beyond the throughput table (issues 4, 5 and 7): the results of `bench/pipeline.ts`,
 * `bench/aggregation.ts`, `bench/eventloop.ts` and `bench/memory.ts`, rendered as Markdown
 * sections, and every issue target checked against the figures of the same run.
 *
 * Child results are JSON read back from the children, so every reader here is defensive: a
 * missing figure is shown as `?` and its target as not met, never as a number.
 *
 * @module
 */
import type * as Report from "./Report.ts"

/** A child's result, or why it failed. */
export type Part = Readonly<Record<string, unknown>>

/** Every extra part of one run (absent parts were not run). */
export interface Extras {
  readonly pipeline?: Part
  readonly mix?: Part
  readonly heap?: Part
  readonly eventloop?: Readonly<Record<string, Part>>
  readonly memory?: Readonly<Record<string, Part>>
  /** Notes on how this run differs from the default (e.g. a shortened delay test). */
  readonly notes?: ReadonlyArray<string>
}

/** One issue target and whether this run met it (`null`: the figure is missing). */
export interface Target {
  readonly issue: number
  readonly figure: string
  readonly value: string
  readonly target: string
  readonly met: boolean | null
}

/**
 * Checks every issue target against the summaries of the throughput table and the extras.
 *
 * @example
 * ```ts
 * import * as Sections from "./Sections.ts"
 * const targets = Sections.targets([], {})
 * ```
 */
export const targets = (summaries: ReadonlyArray<Report.Summary>, extras: Extras): ReadonlyArray<Target> => {
  const out: Array<Target> = []
  const add = (issue: number, figure: string, value: number | null, shown: string, target: string, ok: (v: number) => boolean) =>
    out.push({ issue, figure, value: value === null ? "?" : shown, target, met: value === null ? null : ok(value) })
  const full = summaries.find((s) => s.id === "fapilog-full")
  if (full !== undefined) {
    add(7, "full pipeline (facade) × pino", full.ratios.pino, fx(full.ratios.pino), "≥ 2.5×", (v) => v >= 2.5)
    add(7, "full pipeline (facade) × Effect built-in", full.ratios.effectBuiltin, fx(full.ratios.effectBuiltin), "≥ 2.5×", (v) => v >= 2.5)
    add(7, "full pipeline (facade) × floor", full.ratios.floor, fx(full.ratios.floor), "≥ 0.6×", (v) => v >= 0.6)
    add(7, "full pipeline (facade) × pino transport", full.ratios.pinoTransport, fx(full.ratios.pinoTransport), "reported", () => true)
    add(7, "full pipeline (facade) call-site p99", full.latencyUs.p99, `${fixed(full.latencyUs.p99, 2)} µs`, "≤ 3 µs", (v) => v <= 3)
    add(7, "full pipeline (facade) call-site p99.9", full.latencyUs.p999, `${fixed(full.latencyUs.p999, 1)} µs`, "≤ 20 µs", (v) => v <= 20)
    const fullQuiet = full.latencyUnswitchedUs
    if (fullQuiet !== undefined) {
      const share = `${fixed((fullQuiet.switchedShare ?? 0) * 100, 2)} % of timed calls switched out, excluded`
      add(7, `full pipeline (facade) call-site p99, calls not switched out (${share})`, fullQuiet.p99, `${fixed(fullQuiet.p99, 2)} µs`, "reported", () => true)
      add(7, `full pipeline (facade) call-site p99.9, calls not switched out`, fullQuiet.p999, `${fixed(fullQuiet.p999, 1)} µs`, "reported", () => true)
    }
  }
  const fullLog = summaries.find((s) => s.id === "fapilog-full-effect-log")
  if (fullLog !== undefined) {
    add(7, "full pipeline (Effect.logInfo) × pino", fullLog.ratios.pino, fx(fullLog.ratios.pino), "≥ 2.5×", (v) => v >= 2.5)
    add(7, "full pipeline (Effect.logInfo) × Effect built-in", fullLog.ratios.effectBuiltin, fx(fullLog.ratios.effectBuiltin), "≥ 2.5×", (v) => v >= 2.5)
    add(7, "full pipeline (Effect.logInfo) × floor", fullLog.ratios.floor, fx(fullLog.ratios.floor), "≥ 0.6×", (v) => v >= 0.6)
    add(7, "full pipeline (Effect.logInfo) call-site p99", fullLog.latencyUs.p99, `${fixed(fullLog.latencyUs.p99, 2)} µs`, "≤ 3 µs", (v) => v <= 3)
    add(7, "full pipeline (Effect.logInfo) call-site p99.9", fullLog.latencyUs.p999, `${fixed(fullLog.latencyUs.p999, 1)} µs`, "≤ 20 µs", (v) => v <= 20)
    const fullLogQuiet = fullLog.latencyUnswitchedUs
    if (fullLogQuiet !== undefined) {
      const share = `${fixed((fullLogQuiet.switchedShare ?? 0) * 100, 2)} % of timed calls switched out, excluded`
      add(7, `full pipeline (Effect.logInfo) call-site p99, calls not switched out (${share})`, fullLogQuiet.p99, `${fixed(fullLogQuiet.p99, 2)} µs`, "reported", () => true)
      add(7, `full pipeline (Effect.logInfo) call-site p99.9, calls not switched out`, fullLogQuiet.p999, `${fixed(fullLogQuiet.p999, 1)} µs`, "reported", () => true)
    }
  }
  const loop = extras.eventloop?.["fapilog"]
  if (loop !== undefined) {
    const p99 = num(record(loop["delayMs"])?.["p99"])
    add(7, `event-loop delay p99 at ${int(loop["rate"])}/s (full pipeline)`, p99, `${fixed(p99, 2)} ms`, "≤ 10 ms", (v) => v <= 10)
  }
  const peak = extras.memory?.["peak"]
  if (peak !== undefined) {
    const growth = num(peak["peakRssGrowthMb"])
    add(7, `peak RSS growth over ${int(peak["events"])} events`, growth, `${fixed(growth, 1)} MB`, "≤ 50 MB", (v) => v <= 50)
  }
  const rounds = extras.memory?.["rounds"]
  if (rounds !== undefined) {
    const heapSlope = num(rounds["heapSlopeMbPerRound"])
    add(7, `heap growth across ${int(rounds["rounds"])} rounds (slope after gc)`, heapSlope, `${fixed(heapSlope, 2)} MB/round`, "≈ 0 (≤ 0.5 MB/round)", (v) => v <= 0.5)
  }
  const pipeline = extras.pipeline
  if (pipeline !== undefined) {
    const sampler = record(pipeline["sampler"])
    const ratio = num(sampler?.["ratioRate1VsNone"])
    add(4, "pipeline with byCorrelation(rate 1) ÷ without sampler", ratio, fx(ratio), "≥ 0.9×", (v) => v >= 0.9)
    const costs = dropCosts(pipeline)
    add(
      4,
      "ns per dropped event (rate 0.1, implied) vs per kept event (rate 1)",
      costs === undefined ? null : costs.dropped01 - costs.kept,
      costs === undefined ? "?" : `${costs.dropped01.toFixed(0)} vs ${costs.kept.toFixed(0)} ns`,
      "dropped < kept",
      (v) => v < 0
    )
    const aggregator = record(pipeline["aggregator"])
    const aggRatio = num(aggregator?.["ratioWithVsWithout"])
    add(5, "pipeline with aggregator ÷ without (non-repetitive)", aggRatio, fx(aggRatio), "≥ 0.9×", (v) => v >= 0.9)
  }
  const mix = extras.mix
  if (mix !== undefined) {
    const reduction = num(mix["systemReduction"])
    add(5, "realistic mix: reduction of the system-log share", reduction, pct(reduction), "> 50%", (v) => v > 0.5)
    const touched = num(mix["userOrBusinessAggregated"])
    add(5, "realistic mix: user-action or business events aggregated", touched, int(touched), "0", (v) => v === 0)
  }
  const heap = extras.heap
  if (heap !== undefined) {
    const mb = num(heap["heapMb"])
    add(5, `aggregator heap at ${int(heap["keys"])} live keys`, mb, `${fixed(mb, 2)} MB`, "< 10 MB", (v) => v < 10)
  }
  return out
}

/**
 * Renders the extras and the targets as Markdown sections (`###` headings).
 *
 * @example
 * ```ts
 * import * as Sections from "./Sections.ts"
 * console.log(Sections.markdown({}, []))
 * ```
 */
export const markdown = (extras: Extras, checked: ReadonlyArray<Target>): string => {
  const parts: Array<string> = []
  if (extras.notes !== undefined && extras.notes.length > 0) parts.push(extras.notes.map((n) => `> ${n}`).join("\n"))
  if (extras.pipeline !== undefined) parts.push(pipelineSection(extras.pipeline))
  if (extras.mix !== undefined || extras.heap !== undefined) parts.push(aggregatorSection(extras.mix, extras.heap))
  if (extras.eventloop !== undefined) parts.push(eventLoopSection(extras.eventloop))
  if (extras.memory !== undefined) parts.push(memorySection(extras.memory))
  if (checked.length > 0) {
    parts.push([
      "### Targets (issues 4, 5, 7) in this run",
      "",
      table(
        ["issue", "figure", "this run", "target", "met"],
        checked.map((t) => [`#${t.issue}`, t.figure, t.value, t.target, t.met === null ? "no figure" : t.met ? "yes" : "**NO**"]),
        [false, false, true, true, true]
      )
    ].join("\n"))
  }
  return parts.join("\n\n")
}

/**
 * The failures among the extras (a part whose child failed, or whose output check failed).
 *
 * @example
 * ```ts
 * import * as Sections from "./Sections.ts"
 * Sections.failures({}) // []
 * ```
 */
export const failures = (extras: Extras): ReadonlyArray<string> => {
  const out: Array<string> = []
  const check = (name: string, part: Part | undefined) => {
    if (part === undefined) return
    if (typeof part["failure"] === "string") out.push(`${name}: ${part["failure"]}`)
  }
  check("pipeline", extras.pipeline)
  check("mix", extras.mix)
  check("heap", extras.heap)
  for (const [k, v] of Object.entries(extras.eventloop ?? {})) check(`eventloop ${k}`, v)
  for (const [k, v] of Object.entries(extras.memory ?? {})) check(`memory ${k}`, v)
  return out
}

// -----------------------------------------------------------------------------
// sections
// -----------------------------------------------------------------------------

const pipelineSection = (p: Part): string => {
  if (typeof p["failure"] === "string") return `### Pipeline alone (issues 4, 5)\n\nFAILED: ${p["failure"]}`
  const variants = Array.isArray(p["variants"]) ? (p["variants"] as Array<Part>) : []
  const identity = variants.find((v) => v["id"] === "identity")
  const floorNs = num(identity?.["nsPerEvent"])
  const rows = variants.map((v) => {
    const ns = num(v["nsPerEvent"])
    return [
      String(v["label"] ?? v["id"]),
      int(v["eventsPerSec"]),
      fixed(ns, 0),
      v["id"] === "identity" || ns === null || floorNs === null ? "—" : (ns - floorNs).toFixed(0),
      int(v["out"]),
      int(v["dropped"]),
      int(v["aggregates"])
    ]
  })
  const sampler = record(p["sampler"])
  const aggregator = record(p["aggregator"])
  const costs = dropCosts(p)
  const lines = [
    "### Pipeline alone: sampler and aggregator cost (issues 4, 5)",
    "",
    `In process, no queue/encoder/sink: ${int(p["events"])} events of the non-repetitive workload in chunks of ` +
      `${int(p["chunkSize"])}, median of ${int(p["rounds"])} rounds (\`bench/pipeline.ts\`).`,
    "",
    table(
      ["pipeline", "events/s", "ns/event", "ns/event net of floor", "out", "dropped", "aggregates"],
      rows,
      [false, true, true, true, true, true, true]
    ),
    "",
    `- Sampler (issue 4): pipeline with \`byCorrelation({ rate: 1 })\` ÷ the same pipeline without a sampler: ` +
      `**${fx(num(sampler?.["ratioRate1VsNone"]))}**. Sampler alone, ns per input event net of the stream floor: ` +
      `rate 1 ${fixed(num(sampler?.["aloneNsPerEventRate1"]), 0)}, rate 0.1 ${fixed(num(sampler?.["aloneNsPerEventRate01"]), 0)}, ` +
      `rate 0 ${fixed(num(sampler?.["aloneNsPerEventRate0"]), 0)}.`,
    costs === undefined
      ? "- Kept vs dropped: ?"
      : `- Kept vs dropped, full pipeline: ${costs.kept.toFixed(0)} ns per event when every event is kept (rate 1), ` +
        `${costs.dropped0.toFixed(0)} ns when every event is dropped (rate 0); at rate 0.1 (${(costs.keptFraction * 100).toFixed(1)}% kept) ` +
        `${costs.at01.toFixed(0)} ns per event, i.e. ${costs.dropped01.toFixed(0)} ns per dropped event ` +
        `(= (t(0.1) − kept share × t(1)) ÷ dropped share).`,
    `- Aggregator (issue 5): pipeline with \`Aggregator.repetitive()\` ÷ without it, on a stream where no key repeats: ` +
      `**${fx(num(aggregator?.["ratioWithVsWithout"]))}**; the aggregator alone costs ${fixed(num(aggregator?.["aloneNsPerEvent"]), 0)} ns per event; ` +
      `aggregates emitted: ${int(aggregator?.["aggregatesEmitted"])}; every event out: ${aggregator?.["allEventsOut"] === true ? "yes" : "NO"}.`
  ]
  return lines.join("\n")
}

const aggregatorSection = (mix: Part | undefined, heap: Part | undefined): string => {
  const lines = ["### Aggregator on the realistic mix, and its memory (issue 5)", ""]
  if (mix !== undefined) {
    if (typeof mix["failure"] === "string") lines.push(`- Mix: FAILED: ${mix["failure"]}`)
    else {
      const perSeed = Array.isArray(mix["perSeed"]) ? (mix["perSeed"] as Array<Part>) : []
      lines.push(
        `\`bench/workload/mix.ts\`, ${int(mix["durationMs"])} ms of simulated traffic per seed, replayed through ` +
          "`Aggregator.repetitive()` under `TestClock` in 50 ms slices (`bench/aggregation.ts --part mix`).",
        "",
        table(
          ["seed", "events in", "system share in", "system out", "system reduction", "total out", "total reduction", "aggregates", "user/business aggregated", "errors aggregated", "conserved"],
          perSeed.map((s) => [
            int(s["seed"]),
            int(s["totalIn"]),
            int(s["systemIn"]),
            int(s["systemOut"]),
            pct(num(s["systemReduction"])),
            int(s["totalOut"]),
            pct(num(s["totalReduction"])),
            int(s["aggregates"]),
            int(s["userOrBusinessAggregated"]),
            int(s["errorsAggregated"]),
            s["conserved"] === true ? "yes" : "NO"
          ]),
          [true, true, true, true, true, true, true, true, true, true, true]
        ),
        "",
        `- All seeds: system-log share ${pct(num(mix["systemShare"]))} of the volume, reduced by **${pct(num(mix["systemReduction"]))}**; ` +
          `total volume reduced by ${pct(num(mix["totalReduction"]))}; user-action or business events aggregated: ` +
          `**${int(mix["userOrBusinessAggregated"])}**; errors aggregated: ${int(mix["errorsAggregated"])}; ` +
          `counts conserved: ${mix["conserved"] === true ? "yes" : "NO"}.`
      )
    }
  }
  if (heap !== undefined) {
    if (typeof heap["failure"] === "string") lines.push(`- Heap: FAILED: ${heap["failure"]}`)
    else {
      lines.push(
        `- Heap held by the aggregator at ${int(heap["keys"])} live keys, each with an open aggregate ` +
          `(${int(heap["occurrencesPerKey"])} occurrences of 8-field events, 4 fields varying): ` +
          `**${fixed(num(heap["heapMb"]), 2)} MB** (${int(heap["bytesPerKey"])} B per key; heapUsed after gc, ` +
          `\`bench/aggregation.ts --part heap\`); at the end ${int(heap["aggregatesAtEnd"])} aggregates came out, counts conserved: ` +
          `${heap["conserved"] === true ? "yes" : "NO"}.`
      )
    }
  }
  return lines.join("\n")
}

const eventLoopSection = (loop: Readonly<Record<string, Part>>): string => {
  const order = ["fapilog", "pino", "none"]
  const labels: Record<string, string> = {
    fapilog: "effect-fapilog full pipeline (facade)",
    pino: "pino 10 (async destination)",
    none: "pacing loop alone (no logging)"
  }
  const rows = order.flatMap((id) => {
    const r = loop[id]
    if (r === undefined) return []
    if (typeof r["failure"] === "string") return [[labels[id] ?? id, "FAILED", "", "", "", "", "", "", ""]]
    const d = record(r["delayMs"])
    const t = record(r["tickMs"])
    return [[
      labels[id] ?? id,
      fixed(num(d?.["p50"]), 2),
      fixed(num(d?.["p99"]), 2),
      fixed(num(d?.["max"]), 1),
      int(r["achievedPerSec"]),
      fixed(num(t?.["p50"]), 2),
      fixed(num(t?.["p99"]), 2),
      fixed(num(r["drainMs"]), 0),
      r["verified"] === true ? "✓" : r["writesFile"] === false ? "—" : "✗"
    ]]
  })
  const any = Object.values(loop)[0]
  return [
    "### Event-loop delay while logging at a paced rate (issue 7)",
    "",
    `${int(any?.["rate"])} events/s for ${int(any?.["seconds"])} s: every 10 ms, ${int(any?.["perTick"])} events, then a ` +
      "`setTimeout` until the next tick; `monitorEventLoopDelay({ resolution: 1 })` over the paced period " +
      "(`bench/eventloop.ts`, one fresh process each).",
    "",
    table(
      ["system", "delay p50 ms", "delay p99 ms", "delay max ms", "achieved events/s", "tick p50 ms", "tick p99 ms", "drain ms", "lines ✓"],
      rows,
      [false, true, true, true, true, true, true, true, true]
    )
  ].join("\n")
}

const memorySection = (memory: Readonly<Record<string, Part>>): string => {
  const lines = ["### Memory over many events (issue 7)", ""]
  const peak = memory["peak"]
  if (peak !== undefined) {
    lines.push(
      typeof peak["failure"] === "string"
        ? `- Peak: FAILED: ${peak["failure"]}`
        : `- Peak RSS growth over ${int(peak["events"])} events through the full pipeline (tight loop, policy block): ` +
          `**${fixed(num(peak["peakRssGrowthMb"]), 1)} MB** (RSS ${fixed(num(peak["rssBeforeMb"]), 0)} MB after set-up and gc → ` +
          `peak ${fixed(num(peak["peakRssMb"]), 0)} MB; lines ${peak["verified"] === true ? "✓" : "✗"}).`
    )
  }
  const rounds = memory["rounds"]
  if (rounds !== undefined) {
    if (typeof rounds["failure"] === "string") lines.push(`- Rounds: FAILED: ${rounds["failure"]}`)
    else {
      const per = Array.isArray(rounds["perRound"]) ? (rounds["perRound"] as Array<Part>) : []
      lines.push(
        `- ${int(rounds["rounds"])} rounds of ${int(rounds["events"])} events in one process and one layer; after each round ` +
          "`log.flush` then `gc()` (lines " + (rounds["verified"] === true ? "✓" : "✗") + "):",
        "",
        table(
          ["after round", ...per.map((r) => int(r["round"]))],
          [
            ["RSS MB", ...per.map((r) => fixed(num(r["rssMb"]), 1))],
            ["heapUsed MB", ...per.map((r) => fixed(num(r["heapUsedMb"]), 2))],
            ["round ms", ...per.map((r) => fixed(num(r["ms"]), 0))]
          ],
          [false, ...per.map(() => true)]
        ),
        "",
        `  Least-squares slope: heapUsed **${fixed(num(rounds["heapSlopeMbPerRound"]), 2)} MB/round**, RSS ` +
          `${fixed(num(rounds["rssSlopeMbPerRound"]), 2)} MB/round (RSS after gc also reflects pages V8 keeps mapped).`
      )
    }
  }
  return lines.join("\n")
}

// -----------------------------------------------------------------------------
// helpers
// -----------------------------------------------------------------------------

/** ns per kept event (rate 1), per dropped event (rate 0), and the implied per-dropped cost at 0.1. */
const dropCosts = (p: Part) => {
  const variants = Array.isArray(p["variants"]) ? (p["variants"] as Array<Part>) : []
  const ns = (id: string) => num(variants.find((v) => v["id"] === id)?.["nsPerEvent"])
  const kept = ns("full")
  const dropped0 = ns("full-0")
  const at01 = ns("full-0.1")
  const sampler = record(p["sampler"])
  const keptN = num(sampler?.["keptAtRate01"])
  const droppedN = num(sampler?.["droppedAtRate01"])
  if (kept === null || dropped0 === null || at01 === null || keptN === null || droppedN === null || droppedN === 0) {
    return undefined
  }
  const keptFraction = keptN / (keptN + droppedN)
  return { kept, dropped0, at01, keptFraction, dropped01: (at01 - keptFraction * kept) / (1 - keptFraction) }
}

const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, right: ReadonlyArray<boolean>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    `| ${cells.map((cell, i) => right[i] === true ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)).join(" | ")} |`
  const rule = `|${widths.map((w, i) => right[i] === true ? `${"-".repeat(w + 1)}:` : `${"-".repeat(w + 2)}`).join("|")}|`
  return [line(header), rule, ...rows.map(line)].join("\n")
}

const record = (value: unknown): Readonly<Record<string, unknown>> | undefined =>
  typeof value === "object" && value !== null ? value as Record<string, unknown> : undefined

const num = (value: unknown): number | null => typeof value === "number" && Number.isFinite(value) ? value : null

const int = (value: unknown): string => typeof value === "number" && Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "?"

const fixed = (value: number | null, digits: number): string => value === null ? "?" : value.toFixed(digits)

const fx = (value: number | null): string => value === null ? "?" : `${value.toFixed(2)}×`

const pct = (value: number | null): string => value === null ? "?" : `${(value * 100).toFixed(1)}%`
