/**
 * Summaries, tables, charts and the issue-17 targets of the workload × system matrix
 * (`bench/lib/Matrix.ts`): per workload and system, the median events/s over the rounds and its
 * ratio to each baseline of the same workload (pino direct, the Effect → pino bridge, Effect's
 * built-in file logger, the same-workload floor).
 *
 * @module
 */
import * as Matrix from "./Matrix.ts"
import type * as Runner from "./Runner.ts"
import * as Stats from "./Stats.ts"

/** One child run of one cell in one round. */
export interface Entry {
  readonly round: number
  readonly workload: Matrix.WorkloadId
  readonly system: Matrix.SystemId
  readonly events: number
  readonly ok: boolean
  readonly result?: Runner.Result
  readonly verified?: { readonly lines: number; readonly bytes: number }
  readonly failure?: string
}

/** One cell's figures over every successful round. */
export interface Cell {
  readonly workload: Matrix.WorkloadId
  readonly system: Matrix.SystemId
  readonly label: string
  readonly events: number
  readonly rounds: number
  readonly failures: ReadonlyArray<string>
  readonly eventsPerSec: number | null
  readonly eventsPerSecByRound: ReadonlyArray<number>
  /** Median of (bytes written ÷ wall time), in MB/s (10^6 bytes), for systems that write a file. */
  readonly mbPerSec: number | null
  /** This cell's median events/s ÷ the baseline's, same workload. */
  readonly ratios: Readonly<Record<Matrix.Baseline, number | null>>
  readonly latencyUs: { readonly p50: number | null; readonly p99: number | null; readonly p999: number | null }
  readonly maxRssMb: number | null
}

/** The disk's own sequential write rate, measured in the same run. */
export interface Disk {
  readonly mb: number
  readonly seconds: number
  readonly mbPerSec: number
  readonly dir: string
}

/**
 * Summarises the entries of one run into cells, per workload in table order.
 *
 * @example
 * ```ts
 * import * as MatrixReport from "./MatrixReport.ts"
 * import * as Matrix from "./Matrix.ts"
 * const cells = MatrixReport.summarize(Matrix.workloads, [])
 * ```
 */
export const summarize = (
  workloads: ReadonlyArray<Matrix.Workload>,
  entries: ReadonlyArray<Entry>,
  pretenuring = false
): ReadonlyArray<Cell> =>
  workloads.flatMap((workload) => {
    const partial = Matrix.systemsOf(workload, pretenuring).map((systemId) => {
      const mine = entries.filter((e) => e.workload === workload.id && e.system === systemId)
      const ok = mine.filter((e) => e.ok && e.result !== undefined)
      const rates = ok.map((e) => e.result!.eventsPerSec)
      const mb = ok.flatMap((e) =>
        e.verified === undefined || e.verified.bytes === 0 ? [] : [e.verified.bytes / 1e6 / (e.result!.wallMs / 1000)]
      )
      const results = ok.map((e) => e.result!)
      return {
        workload: workload.id,
        system: systemId,
        label: Matrix.system(systemId).label,
        events: mine[0]?.events ?? 0,
        rounds: ok.length,
        failures: mine.flatMap((e) => e.ok ? [] : [`round ${e.round}: ${e.failure ?? "failed"}`]),
        eventsPerSec: orNull(Stats.median(rates)),
        eventsPerSecByRound: rates,
        mbPerSec: orNull(Stats.median(mb)),
        latencyUs: {
          p50: orNull(Stats.median(results.map((r) => r.latencyUs.p50))),
          p99: orNull(Stats.median(results.map((r) => r.latencyUs.p99))),
          p999: orNull(Stats.median(results.map((r) => r.latencyUs.p999)))
        },
        maxRssMb: results.length === 0 ? null : Math.max(...results.map((r) => r.maxRssMb))
      }
    })
    const rateOf = (id: Matrix.SystemId) => partial.find((c) => c.system === id)?.eventsPerSec ?? null
    return partial.map((cell) => ({
      ...cell,
      ratios: Object.fromEntries(
        Matrix.baselines.map((b) => [b, ratio(cell.eventsPerSec, rateOf(b))])
      ) as Record<Matrix.Baseline, number | null>
    }))
  })

/**
 * One Markdown table per workload (a `####` heading, the calls, the table); the long-string
 * table carries MB/s against the disk's rate, the disabled-path table ns per call.
 *
 * @example
 * ```ts
 * import * as MatrixReport from "./MatrixReport.ts"
 * console.log(MatrixReport.markdown([], undefined))
 * ```
 */
export const markdown = (cells: ReadonlyArray<Cell>, disk: Disk | undefined): string =>
  Matrix.workloads.flatMap((workload) => {
    const mine = cells.filter((c) => c.workload === workload.id)
    if (mine.length === 0) return []
    const long = workload.id === "long"
    const disabled = workload.id === "disabled"
    const header = [
      "system",
      disabled ? "calls/s" : "events/s",
      ...(disabled ? ["ns/call", "× Effect's own cost"] : []),
      "× pino",
      "× bridge",
      "× Effect built-in",
      "× floor",
      ...(long ? ["MB/s", disk === undefined ? "× disk" : `× disk (${disk.mbPerSec.toFixed(0)} MB/s)`] : []),
      "p50 µs",
      "p99 µs",
      "p99.9 µs",
      "peak RSS MiB",
      "rounds ok"
    ]
    const floorRate = mine.find((c) => c.system === "floor")?.eventsPerSec ?? null
    const rows = mine.map((c) => [
      c.system === "fapilog" ? `**${c.label}**` : c.label,
      c.eventsPerSec === null ? "failed" : int(c.eventsPerSec),
      ...(disabled
        ? [
          c.eventsPerSec === null ? "–" : (1e9 / c.eventsPerSec).toFixed(0),
          c.eventsPerSec === null || floorRate === null ? "–" : (floorRate / c.eventsPerSec).toFixed(2)
        ]
        : []),
      ...Matrix.baselines.map((b) => fixed(c.ratios[b], 2)),
      ...(long ? [fixed(c.mbPerSec, 0), disk === undefined || c.mbPerSec === null ? "–" : (c.mbPerSec / disk.mbPerSec).toFixed(2)] : []),
      fixed(c.latencyUs.p50, 2),
      fixed(c.latencyUs.p99, 2),
      fixed(c.latencyUs.p999, 1),
      fixed(c.maxRssMb, 0),
      `${c.rounds}/${c.rounds + c.failures.length}`
    ])
    const events = mine[0]?.events ?? 0
    return [[
      `#### ${workload.label} — ${int(events)} events per run`,
      "",
      `Effect side: \`${workload.effectCall}\`. Direct loggers: \`${workload.directCall}\`.` +
        (long && disk !== undefined
          ? ` Disk: ${disk.mb} MB written with \`fs.writeSync\` in 1 MB chunks + fsync to the same temp dir in ${disk.seconds.toFixed(2)} s = **${disk.mbPerSec.toFixed(0)} MB/s**.`
          : ""),
      "",
      table(header, rows)
    ].join("\n")]
  }).join("\n\n")

/**
 * effect-fapilog's ratios on every workload in one table (the shape of issue 17's opening table):
 * workload, events/s, × pino direct, × bridge, × Effect built-in, × same-workload floor; MB/s
 * against the disk for the long string, cost ÷ Effect's own for the disabled path.
 *
 * @example
 * ```ts
 * import * as MatrixReport from "./MatrixReport.ts"
 * console.log(MatrixReport.summaryMarkdown([], undefined))
 * ```
 */
export const summaryMarkdown = (cells: ReadonlyArray<Cell>, disk: Disk | undefined): string => {
  const rows = Matrix.workloads.flatMap((workload) => {
    const f = cells.find((c) => c.workload === workload.id && c.system === "fapilog")
    if (f === undefined) return []
    const floor = cells.find((c) => c.workload === workload.id && c.system === "floor")?.eventsPerSec ?? null
    const note = workload.id === "long" && f.mbPerSec !== null
      ? `${f.mbPerSec.toFixed(0)} MB/s${disk === undefined ? "" : ` (disk ${disk.mbPerSec.toFixed(0)} MB/s)`}`
      : workload.id === "disabled" && floor !== null && f.eventsPerSec !== null
      ? `${(floor / f.eventsPerSec).toFixed(2)}× Effect's own cost`
      : ""
    return [[
      workload.label,
      f.eventsPerSec === null ? "failed" : int(f.eventsPerSec),
      ...Matrix.baselines.map((b) => fixed(f.ratios[b], 2)),
      note
    ]]
  })
  return table(["workload (effect-fapilog)", "events/s", "× pino direct", "× bridge", "× Effect built-in", "× floor", "note"], rows)
}

/** One issue-17 target and whether this run met it (`null`: a figure is missing). */
export interface Target {
  readonly figure: string
  readonly value: string
  readonly target: string
  readonly met: boolean | null
}

/**
 * The targets of issue 17 that the matrix measures, checked against the figures of this run.
 *
 * @example
 * ```ts
 * import * as MatrixReport from "./MatrixReport.ts"
 * MatrixReport.targets([]) // []
 * ```
 */
export const targets = (cells: ReadonlyArray<Cell>): ReadonlyArray<Target> => {
  const out: Array<Target> = []
  const add = (figure: string, value: number | null, target: string, ok: (v: number) => boolean) =>
    out.push({ figure, value: value === null ? "?" : `${value.toFixed(2)}×`, target, met: value === null ? null : ok(value) })
  for (const workload of Matrix.workloads) {
    const f = cells.find((c) => c.workload === workload.id && c.system === "fapilog")
    if (f === undefined) continue
    if (workload.id === "disabled") {
      const floor = cells.find((c) => c.workload === "disabled" && c.system === "floor")?.eventsPerSec ?? null
      const cost = floor === null || f.eventsPerSec === null ? null : floor / f.eventsPerSec
      add("disabled `Effect.logDebug`: effect-fapilog's cost ÷ Effect's own", cost, "≤ 1.5×", (v) => v <= 1.5)
      continue
    }
    add(`${workload.label} × bridge`, f.ratios.bridge, "≥ 2×", (v) => v >= 2)
    add(`${workload.label} × Effect built-in`, f.ratios["effect-builtin"], "≥ 2×", (v) => v >= 2)
    if (["basic", "annotate", "request", "child"].includes(workload.id)) {
      add(`${workload.label} × floor`, f.ratios.floor, "≥ 0.6×", (v) => v >= 0.6)
    }
    if (workload.id === "deep") add("deep object × pino", f.ratios.pino, "≥ 1.5×", (v) => v >= 1.5)
    if (workload.id === "long") add("long string × pino", f.ratios.pino, "≥ 2.5×", (v) => v >= 2.5)
  }
  return out
}

/** The targets as a Markdown table. */
export const targetsMarkdown = (checked: ReadonlyArray<Target>): string =>
  table(
    ["figure (effect-fapilog)", "this run", "target", "met"],
    checked.map((t) => [t.figure, t.value, t.target, t.met === null ? "no figure" : t.met ? "yes" : "**NO**"])
  )

/**
 * A dependency-free SVG: one group of horizontal bars per workload, each bar a system's median
 * events/s as a share of the workload's fastest system, labelled with the value and × bridge.
 *
 * @example
 * ```ts
 * import * as MatrixReport from "./MatrixReport.ts"
 * const svg = MatrixReport.svg([], "quick run")
 * ```
 */
export const svg = (cells: ReadonlyArray<Cell>, subtitle: string): string => {
  const labelWidth = 400
  const barWidth = 360
  const rowHeight = 20
  const parts: Array<string> = []
  let y = 56
  for (const workload of Matrix.workloads) {
    const rows = cells.filter((c) => c.workload === workload.id && c.eventsPerSec !== null)
    if (rows.length === 0) continue
    parts.push(`<text x="12" y="${y + 16}" font-weight="bold">${escape(workload.label)}</text>`)
    y += 24
    const max = Math.max(1, ...rows.map((r) => r.eventsPerSec ?? 0))
    for (const row of rows) {
      const rate = row.eventsPerSec ?? 0
      const w = Math.max(1, Math.round((rate / max) * barWidth))
      const fill = row.system.startsWith("fapilog") ? "#2f855a" : row.system.startsWith("floor") ? "#a0aec0" : "#4a5568"
      const bridge = row.ratios.bridge === null || row.system === "bridge" ? "" : ` (${row.ratios.bridge.toFixed(2)}× bridge)`
      parts.push(
        `<text x="${labelWidth - 8}" y="${y + 14}" text-anchor="end">${escape(row.label)}</text>` +
          `<rect x="${labelWidth}" y="${y + 3}" width="${w}" height="${rowHeight - 6}" fill="${fill}"/>` +
          `<text x="${labelWidth + w + 6}" y="${y + 14}">${int(rate)}/s${bridge}</text>`
      )
      y += rowHeight
    }
    y += 8
  }
  const width = labelWidth + barWidth + 220
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 8}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="12" y="22" font-size="16" font-weight="bold">Logging throughput per workload, events/s (higher is better)</text>`,
    `<text x="12" y="42" fill="#555">${escape(subtitle)}</text>`,
    ...parts,
    `</svg>`
  ].join("\n") + "\n"
}

/**
 * A Markdown table, first column left-aligned, the others right-aligned, padded to line up on a
 * terminal too.
 *
 * @example
 * ```ts
 * import * as MatrixReport from "./MatrixReport.ts"
 * MatrixReport.table(["system", "events/s"], [["pino", "1,000"]])
 * ```
 */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    `| ${cells.map((cell, i) => i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)).join(" | ")} |`
  const rule = `|${widths.map((w, i) => i === 0 ? `${"-".repeat(w + 2)}` : `${"-".repeat(w + 1)}:`).join("|")}|`
  return [line(header), rule, ...rows.map(line)].join("\n")
}

const ratio = (value: number | null, base: number | null): number | null =>
  value === null || base === null || base === 0 ? null : value / base

const orNull = (value: number): number | null => Number.isFinite(value) ? value : null

const fixed = (value: number | null, digits: number): string => value === null ? "–" : value.toFixed(digits)

const int = (value: number): string => Math.round(value).toLocaleString("en-US")

const escape = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")
