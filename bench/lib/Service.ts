/**
 * The service-level benchmark (`npm run bench -- --service`, issue 17): logging's cost inside a
 * live `effect/http` service on loopback, at a paced request rate.
 *
 * For each rate (10,000 and 100,000 log lines/s = 1,000 and 10,000 requests/s of 10 lines) and
 * each system (no logging; the floor: Effect's logging into a no-op logger, which every Effect
 * logger pays; Effect built-in; the Effect → pino bridge; effect-fapilog), in a fresh
 * server process (`bench/service/server.ts`): a warm-up load, then a measured window of
 * `seconds` driven by the paced load generator (`bench/service/load.ts`, its own process), then
 * the server is closed (logs flushed) and its file checked line by line: exactly 10 lines per
 * request it handled, warm-up included. Reported per system: server CPU seconds per 1,000
 * requests (`process.cpuUsage()` over the window), added CPU vs no logging, request latency
 * p50/p99/p99.9 (from the moment each request was due), event-loop delay p99
 * (`monitorEventLoopDelay` in the server), peak RSS, lines written vs expected. Writes
 * `bench/results/latest-service.{json,md}` (`latest-partial.service.*` with `--quick`, git-ignored).
 *
 * @module
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Child from "./Child.ts"
import { table } from "./MatrixReport.ts"
import * as Verify from "./Verify.ts"

/** Lines each request logs (`bench/service/server.ts`). */
const LINES = 10

const SYSTEMS = [
  { id: "none", label: "no logging", writesFile: false },
  { id: "floor", label: "Effect → no-op logger (floor)", writesFile: false },
  { id: "builtin", label: "Effect Logger.toFile(formatJson)", writesFile: true },
  { id: "bridge", label: "Effect → pino bridge", writesFile: true },
  { id: "fapilog", label: "effect-fapilog (sampling + aggregation on)", writesFile: true }
] as const

/** Options of {@link run}. */
export interface Options {
  readonly seconds: number
  /** Rounds: every cell is run this many times, systems alternating; the tables show medians. */
  readonly rounds: number
  readonly quick: boolean
  readonly resultsDir: string
  readonly timeoutMs: number
}

/** One system at one rate. */
export interface CellResult {
  readonly system: string
  readonly linesPerSec: number
  readonly failure?: string
  readonly load?: Record<string, unknown>
  readonly window?: Record<string, unknown>
  readonly handled?: number
  readonly linesWritten?: number
  readonly linesExpected?: number
  readonly cpuSecPer1000?: number
  /** Merged cells (medians of several rounds): the lowest and highest CPU per 1,000 requests. */
  readonly cpuRange?: readonly [number, number]
  readonly rounds?: number
}

const BENCH_DIR = Path.join(import.meta.dirname, "..")

/**
 * Runs the service benchmark and writes its results.
 *
 * @example
 * ```ts
 * import * as Service from "./Service.ts"
 * // await Service.run({ seconds: 10, quick: false, resultsDir: "bench/results", timeoutMs: 180_000 })
 * ```
 */
export const run = async (options: Options): Promise<void> => {
  const startedAt = new Date()
  const rates = [10_000, 100_000]
  const warmupSeconds = options.quick ? 1 : 2
  log(
    `service bench: rates ${rates.join(", ")} lines/s × ${SYSTEMS.length} systems × ${options.rounds} round(s), ` +
      `${options.seconds} s per cell (+ ${warmupSeconds} s warm-up)`
  )
  const runs: Array<CellResult> = []
  for (let round = 0; round < options.rounds; round++) {
    for (const [r, linesPerSec] of rates.entries()) {
      // the order rotates from rate to rate and round to round: no system always runs first
      const k = (r + round) % SYSTEMS.length
      for (const system of [...SYSTEMS.slice(k), ...SYSTEMS.slice(0, k)]) {
        const cell = await runCell(system, linesPerSec, options.seconds, warmupSeconds, options.timeoutMs)
        log(`[service ${linesPerSec}/s ${system.id} round ${round + 1}/${options.rounds}] ${cell.failure ?? JSON.stringify({ ...cell.window, ...cell.load }).slice(0, 300)}`)
        runs.push(cell)
      }
    }
  }
  const cells = rates.flatMap((rate) => SYSTEMS.map((system) => merge(runs.filter((c) => c.linesPerSec === rate && c.system === system.id))))
  const text = markdown(cells, options.seconds, options.rounds)
  // `latest-partial.*` is git-ignored: a quick run never replaces the figures of a full one
  const base = options.quick ? "latest-partial.service" : "latest-service"
  const document = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(" ")}`,
    machine: { cpus: Os.cpus().length, cpuModel: Os.cpus()[0]?.model.trim(), node: process.versions.node, loadAverageAtStart: Os.loadavg() },
    config: { rates, seconds: options.seconds, rounds: options.rounds, warmupSeconds, linesPerRequest: LINES },
    cells,
    runs
  }
  await Fs.mkdir(options.resultsDir, { recursive: true })
  await Fs.writeFile(Path.join(options.resultsDir, `${base}.json`), JSON.stringify(document, null, 2) + "\n")
  await Fs.writeFile(
    Path.join(options.resultsDir, `${base}.md`),
    `<!-- ${document.command} · ${document.finishedAt} · ${document.machine.cpus}× ${document.machine.cpuModel}, Node ${document.machine.node} -->\n\n${text}\n`
  )
  process.stdout.write(`\n${text}\n\nwrote ${Path.join(Path.relative(process.cwd(), options.resultsDir), `${base}.json`)}\n`)
  if (cells.some((c) => c.failure !== undefined)) process.exitCode = 1
}

const runCell = async (
  system: typeof SYSTEMS[number],
  linesPerSec: number,
  seconds: number,
  warmupSeconds: number,
  timeoutMs: number
): Promise<CellResult> => {
  const dir = await Fs.mkdtemp(Path.join(Os.tmpdir(), `fapilog-service-${system.id}-`))
  const file = Path.join(dir, "out.jsonl")
  const rps = linesPerSec / LINES
  const server = ChildProcess.spawn(process.execPath, [Path.join(BENCH_DIR, "service/server.ts"), "--system", system.id, "--file", file], {
    stdio: ["ignore", "inherit", "pipe", "ipc"]
  })
  server.stderr!.setEncoding("utf8")
  server.stderr!.on("data", (chunk: string) => process.stderr.write(chunk.replace(/^/gm, `    [server ${system.id}] `)))
  const kill = setTimeout(() => server.kill("SIGKILL"), timeoutMs)
  try {
    const listening = await reply(server, undefined, "listening")
    const port = String(listening["port"])
    const load = (s: number) =>
      Child.run(Path.join(BENCH_DIR, "service/load.ts"), ["--port", port, "--rps", String(rps), "--seconds", String(s)], {
        timeoutMs,
        label: `load ${system.id}`
      })
    const warm = await load(warmupSeconds)
    if (warm._tag === "Failed") throw new Error(`warm-up load failed: ${warm.reason}`)
    await reply(server, "start", "started")
    const measured = await load(seconds)
    const window = await reply(server, "stop", "stopped")
    const closed = await reply(server, "close", "closed")
    if (measured._tag === "Failed") throw new Error(`load failed: ${measured.reason}`)
    const handled = Number(closed["handled"])
    const requests = Number(window["requests"])
    const cpuSecPer1000 = ((Number(window["cpuUserMs"]) + Number(window["cpuSystemMs"])) / 1000) / (requests / 1000)
    const base = { system: system.id, linesPerSec, load: measured.result as Record<string, unknown>, window, handled, cpuSecPer1000 }
    if (!system.writesFile) return base
    const verdict = await Verify.jsonLines(file, handled * LINES)
    return {
      ...base,
      linesWritten: verdict.lines,
      linesExpected: handled * LINES,
      ...(verdict.ok ? {} : { failure: `output check failed: ${verdict.problem ?? "?"}` })
    }
  } catch (error) {
    server.kill("SIGKILL")
    return { system: system.id, linesPerSec, failure: error instanceof Error ? error.message : String(error) }
  } finally {
    clearTimeout(kill)
    await Fs.rm(dir, { recursive: true, force: true })
  }
}

/** Sends `message` (if any) to the server and resolves with its next message of type `type`. */
const reply = (server: ChildProcess.ChildProcess, message: string | undefined, type: string): Promise<Record<string, unknown>> =>
  new Promise((resolve, reject) => {
    const onMessage = (m: unknown) => {
      const record = m as Record<string, unknown>
      if (record["type"] !== type) return
      cleanup()
      resolve(record)
    }
    const onExit = (code: number | null, signal: string | null) => {
      cleanup()
      reject(new Error(`server exited (${signal ?? code}) before "${type}"`))
    }
    const cleanup = () => {
      server.off("message", onMessage)
      server.off("exit", onExit)
    }
    server.on("message", onMessage)
    server.on("exit", onExit)
    if (message !== undefined) server.send({ type: message })
  })

/**
 * One system at one rate over its rounds: medians of CPU per request, achieved rate, latency
 * percentiles and event-loop delay; the highest peak RSS; lines summed (every round checked).
 * A failed round fails the merged cell.
 */
const merge = (rounds: ReadonlyArray<CellResult>): CellResult => {
  const failed = rounds.find((c) => c.failure !== undefined)
  if (failed !== undefined || rounds.length === 1) return { ...(failed ?? rounds[0]!), rounds: rounds.length }
  const med = (get: (c: CellResult) => unknown): number | undefined => {
    const xs = rounds.map(get).filter((x): x is number => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b)
    return xs.length === 0 ? undefined : xs.length % 2 === 1 ? xs[(xs.length - 1) / 2] : (xs[xs.length / 2 - 1]! + xs[xs.length / 2]!) / 2
  }
  const latency = (c: CellResult) => (c.load?.["latencyMs"] ?? {}) as Record<string, number>
  const eld = (c: CellResult) => (c.window?.["eventLoopDelayMs"] ?? {}) as Record<string, number>
  const sum = (get: (c: CellResult) => unknown) => rounds.reduce((n, c) => n + (Number(get(c)) || 0), 0)
  const cpus = rounds.map((c) => c.cpuSecPer1000).filter((x): x is number => x !== undefined)
  const first = rounds[0]!
  return {
    system: first.system,
    linesPerSec: first.linesPerSec,
    rounds: rounds.length,
    load: {
      rps: first.load?.["rps"],
      achievedRps: med((c) => c.load?.["achievedRps"]),
      notSent: sum((c) => c.load?.["notSent"]),
      errors: sum((c) => c.load?.["errors"]),
      latencyMs: { p50: med((c) => latency(c)["p50"]), p99: med((c) => latency(c)["p99"]), p999: med((c) => latency(c)["p999"]) }
    },
    window: {
      eventLoopDelayMs: { p99: med((c) => eld(c)["p99"]) },
      peakRssMb: Math.max(...rounds.map((c) => Number(c.window?.["peakRssMb"]) || 0))
    },
    handled: sum((c) => c.handled),
    ...(first.linesExpected === undefined ? {} : { linesWritten: sum((c) => c.linesWritten), linesExpected: sum((c) => c.linesExpected) }),
    ...(cpus.length === 0 ? {} : { cpuSecPer1000: med((c) => c.cpuSecPer1000)!, cpuRange: [Math.min(...cpus), Math.max(...cpus)] as const })
  }
}

const markdown = (cells: ReadonlyArray<CellResult>, seconds: number, rounds: number): string => {
  const rows: Array<Array<string>> = []
  const out: Array<string> = []
  for (const rate of [...new Set(cells.map((c) => c.linesPerSec))]) {
    const mine = cells.filter((c) => c.linesPerSec === rate)
    const none = mine.find((c) => c.system === "none")?.cpuSecPer1000
    rows.length = 0
    for (const system of SYSTEMS) {
      const c = mine.find((x) => x.system === system.id)
      if (c === undefined) continue
      if (c.failure !== undefined && c.window === undefined) {
        rows.push([system.label, `FAILED: ${c.failure}`, "", "", "", "", "", "", "", "", ""])
        continue
      }
      const load = c.load ?? {}
      const latency = (load["latencyMs"] ?? {}) as Record<string, number>
      const eld = (c.window?.["eventLoopDelayMs"] ?? {}) as Record<string, number>
      rows.push([
        system.id === "fapilog" ? `**${system.label}**` : system.label,
        `${int(load["achievedRps"])} / ${int(load["rps"])}${Number(load["notSent"]) > 0 ? ` (${int(load["notSent"])} not sent)` : ""}${Number(load["errors"]) > 0 ? ` (${int(load["errors"])} errors)` : ""}`,
        fixed(c.cpuSecPer1000, 3) + (c.cpuRange === undefined ? "" : ` (${fixed(c.cpuRange[0], 3)}–${fixed(c.cpuRange[1], 3)})`),
        none === undefined || c.cpuSecPer1000 === undefined || system.id === "none" ? "—" : `${(((c.cpuSecPer1000 / none) - 1) * 100).toFixed(1)} %`,
        fixed(latency["p50"], 2),
        fixed(latency["p99"], 2),
        fixed(latency["p999"], 2),
        fixed(eld["p99"], 2),
        fixed(c.window?.["peakRssMb"] as number | undefined, 0),
        c.linesExpected === undefined ? "—" : `${int(c.linesWritten)} / ${int(c.linesExpected)} ${c.failure === undefined ? "✓" : "✗"}`
      ])
    }
    out.push(
      `#### ${int(rate)} log lines/s (${int(rate / LINES)} requests/s × ${LINES} lines), ${seconds} s window` +
        (rounds > 1 ? `, median of ${rounds} rounds (CPU: median (lowest–highest); lines: all rounds)` : ""),
      "",
      table(
        ["system", "requests/s achieved / asked", "CPU s per 1,000 req", "added CPU vs none", "p50 ms", "p99 ms", "p99.9 ms", "event-loop delay p99 ms", "peak RSS MiB", "lines written / expected"],
        rows
      ),
      ""
    )
  }
  out.push("#### Targets (issue 17, service level) in this run", "", table(["figure (effect-fapilog)", "this run", "target", "met"], targets(cells)))
  return out.join("\n").trimEnd()
}

/** The service-level targets of issue 17 (seed 001), checked against this run's cells. */
const targets = (cells: ReadonlyArray<CellResult>): Array<Array<string>> => {
  const at = (rate: number, system: string) => cells.find((c) => c.linesPerSec === rate && c.system === system)
  const cpu = (c: CellResult | undefined) => c?.cpuSecPer1000
  const p99 = (c: CellResult | undefined) => ((c?.load?.["latencyMs"] ?? {}) as Record<string, number>)["p99"]
  const verdict = (ok: boolean | undefined) => ok === undefined ? "no figure" : ok ? "yes" : "**NO**"
  const rows: Array<Array<string>> = []
  const none10 = at(10_000, "none")
  const f10 = at(10_000, "fapilog")
  // a difference against no logging means something only when both ran at the asked rate
  const kept = (c: CellResult | undefined) => Number(c?.load?.["achievedRps"]) >= 0.95 * Number(c?.load?.["rps"])
  const comparable = kept(none10) && kept(f10)
  const judged = (ok: boolean | undefined) => comparable ? verdict(ok) : "not comparable: a run missed the asked rate"
  const added = cpu(f10) !== undefined && cpu(none10) !== undefined ? (cpu(f10)! / cpu(none10)! - 1) * 100 : undefined
  rows.push(["added CPU at 10,000 lines/s", added === undefined ? "?" : `${added.toFixed(1)} %`, "≤ 5 %", judged(added === undefined ? undefined : added <= 5)])
  // what no Effect logger can avoid: Effect's own logging machinery into a no-op logger
  const floor10 = at(10_000, "floor")
  const floorAdded = cpu(floor10) !== undefined && cpu(none10) !== undefined ? (cpu(floor10)! / cpu(none10)! - 1) * 100 : undefined
  rows.push([
    "… of which the floor (Effect's logging into a no-op logger) at 10,000 lines/s",
    floorAdded === undefined ? "?" : `${floorAdded.toFixed(1)} %`,
    "(no Effect logger goes below)",
    "—"
  ])
  const addedP99 = p99(f10) !== undefined && p99(none10) !== undefined ? p99(f10)! - p99(none10)! : undefined
  rows.push(["added p99 request latency at 10,000 lines/s", addedP99 === undefined ? "?" : `${addedP99.toFixed(2)} ms`, "≤ 0.3 ms", judged(addedP99 === undefined ? undefined : addedP99 <= 0.3)])
  const f100 = at(100_000, "fapilog")
  const none100 = at(100_000, "none")
  const achieved = Number(f100?.load?.["achievedRps"])
  const baseline = Number(none100?.load?.["achievedRps"])
  rows.push([
    "request rate kept at 100,000 lines/s (achieved ÷ no logging's achieved)",
    Number.isFinite(achieved) && Number.isFinite(baseline) ? `${(achieved / baseline).toFixed(2)}× (${int(achieved)} of ${int(f100?.load?.["rps"])} asked)` : "?",
    "≈ 1× and the asked rate",
    verdict(Number.isFinite(achieved) && Number.isFinite(baseline) ? achieved >= 0.95 * baseline && achieved >= 0.95 * Number(f100?.load?.["rps"]) : undefined)
  ])
  rows.push([
    "lines lost at 100,000 lines/s (policy block)",
    f100?.linesExpected === undefined ? "?" : int((f100.linesExpected ?? 0) - (f100.linesWritten ?? 0)),
    "0",
    verdict(f100?.linesExpected === undefined ? undefined : f100.linesExpected === f100.linesWritten)
  ])
  for (const rate of [10_000, 100_000]) {
    const f = at(rate, "fapilog")
    const peers = ["builtin", "bridge"].map((id) => at(rate, id))
    const ahead = (get: (c: CellResult | undefined) => number | undefined) =>
      get(f) === undefined || peers.some((p) => get(p) === undefined) ? undefined : peers.every((p) => get(f)! < get(p)!)
    rows.push([`ahead of both peers on CPU per request at ${int(rate)} lines/s`, fixed(cpu(f), 3), `< ${peers.map((p) => fixed(cpu(p), 3)).join(", ")}`, verdict(ahead(cpu))])
    rows.push([`ahead of both peers on p99 at ${int(rate)} lines/s`, `${fixed(p99(f), 2)} ms`, `< ${peers.map((p) => fixed(p99(p), 2)).join(", ")} ms`, verdict(ahead(p99))])
  }
  return rows
}

const int = (value: unknown): string => typeof value === "number" && Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "?"

const fixed = (value: number | undefined, digits: number): string =>
  typeof value === "number" && Number.isFinite(value) ? value.toFixed(digits) : "?"

const log = (line: string): void => {
  process.stderr.write(`${line}\n`)
}
