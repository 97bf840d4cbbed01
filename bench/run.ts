/**
 * `npm run bench`: the throughput benchmark of effect-fapilog on the shapes Effect programs really
 * log (issue 17), against the same Effect program into a no-op logger (the floor), pino direct,
 * the Effect → pino bridge, Effect's built-in file logger and winston.
 *
 * The workload × system matrix (`bench/lib/Matrix.ts`): for every round, every workload, each of
 * its systems in a fresh child process (`bench/runners/matrix.ts`), in an order that rotates every
 * round; after each run this process checks the output file line by line (exactly the expected
 * lines, each a JSON object). Before the long-string workload it measures the disk's own
 * sequential write rate. It prints effect-fapilog's ratios on every workload, one table per
 * workload (events/s, × pino, × bridge, × Effect built-in, × floor) and the issue-17 targets, and
 * writes `bench/results/latest.json`, `latest.md` and `latest.svg` (bars per workload). A
 * `--quick`, `--only` or `--flat-only` run writes `latest-partial.*` instead, a `--named` run
 * `latest-named.*`, an `--extras` run `latest-extras.*`: only a full run replaces the figures
 * docs/benchmarks.md quotes.
 *
 * `--flat` adds the previous one-workload table of every system of `bench/lib/Systems.ts`
 * (pino's worker transport, the facade and `Effect.logInfo` variants). Then (unless skipped) the
 * named-logger figures of issue 3 and the extra figures of issues 4, 5 and 7, each from fresh child
 * processes: the pipeline alone with and without sampler / aggregator (`bench/pipeline.ts`), the
 * aggregator on the realistic mix and its heap (`bench/aggregation.ts`), the event-loop delay at a
 * paced 100,000 events/s (`bench/eventloop.ts`), and memory over many events (`bench/memory.ts`);
 * every issue target is checked against the figures of the same run.
 *
 * `--service` runs the service-level benchmark instead (`bench/lib/Service.ts`).
 *
 * Flags: `--quick` (base 20,000 events, 1 round, shortened extras), `--rounds N`, `--events N`
 * (base count, scaled per workload), `--only w1,w2` (workloads), `--pretenuring`, `--flat`,
 * `--flat-only a,b`, `--no-matrix`, `--named`, `--no-named`, `--extras`, `--no-extras`,
 * `--service`, `--seconds N` (per service cell), `--timeout SECONDS` (per child), `--list`. See
 * docs/benchmarks.md.
 *
 * @module
 */
import * as FsSync from "node:fs"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Chart from "./lib/Chart.ts"
import * as Child from "./lib/Child.ts"
import * as Matrix from "./lib/Matrix.ts"
import * as MatrixReport from "./lib/MatrixReport.ts"
import * as Report from "./lib/Report.ts"
import type * as Runner from "./lib/Runner.ts"
import * as Sections from "./lib/Sections.ts"
import * as Systems from "./lib/Systems.ts"
import * as Verify from "./lib/Verify.ts"

interface Options {
  /** Base events per matrix run (a workload scales it) and events per flat-table run. */
  readonly events: number
  readonly rounds: number
  /** Matrix workloads (`--only`), comma-separated; all when undefined. */
  readonly only: string | undefined
  readonly quick: boolean
  /** The issue-17 workload × system matrix. */
  readonly matrix: boolean
  /** The previous one-workload table of every system (`--flat`, ids from `--list`). */
  readonly flat: boolean
  /** Systems of the flat table (`--flat-only`). */
  readonly flatOnly: string | undefined
  readonly named: "only" | "also" | "skip"
  readonly extras: "only" | "also" | "skip"
  /** Also run the floor and effect-fapilog with V8's allocation-site pretenuring off (`--pretenuring`). */
  readonly pretenuring: boolean
  /** The service-level benchmark only (`--service`). */
  readonly service: boolean
  /** Seconds per service cell (`--seconds`). */
  readonly seconds: number
  readonly timeoutMs: number
  readonly list: boolean
}

const BENCH_DIR = import.meta.dirname
const RESULTS_DIR = Path.join(BENCH_DIR, "results")

const main = async (): Promise<void> => {
  const options = parseOptions(process.argv.slice(2))
  if (options.list) {
    for (const workload of Matrix.workloads) process.stdout.write(`workload ${workload.id.padEnd(16)} ${workload.effectCall}\n`)
    for (const system of Matrix.systems) process.stdout.write(`system   ${system.id.padEnd(16)} ${system.label}\n`)
    for (const system of Systems.all) process.stdout.write(`flat     ${system.id.padEnd(24)} ${system.label}\n`)
    return
  }
  if (options.service) {
    const Service = await import("./lib/Service.ts")
    await Service.run({ seconds: options.seconds, rounds: options.rounds, quick: options.quick, resultsDir: RESULTS_DIR, timeoutMs: options.timeoutMs })
    return
  }
  const systems = options.flat ? Systems.select(options.flatOnly) : []
  const startedAt = new Date()
  const machine = describeMachine()
  const workloads = options.matrix ? Matrix.select(options.only) : []
  log(
    `effect-fapilog bench: ${workloads.length} workloads (base ${options.events.toLocaleString("en-US")} events) × ` +
      `${options.rounds} rounds${systems.length === 0 ? "" : ` + flat table of ${systems.length} systems`}` +
      `${options.named === "skip" ? "" : " + named-logger figures"}` +
      `${options.extras === "skip" ? "" : " + sampler/aggregator/event-loop/memory figures"}` +
      ` on ${machine.cpus}× ${machine.cpuModel}, Node ${machine.node}`
  )

  const matrix = workloads.length === 0 ? undefined : await runMatrix(options)
  const cells = matrix === undefined ? [] : MatrixReport.summarize(workloads, matrix.entries, options.pretenuring)
  const matrixTargets = MatrixReport.targets(cells)

  const entries: Array<Report.RoundEntry> = []
  for (let round = 1; round <= (systems.length === 0 ? 0 : options.rounds); round++) {
    const offset = (round - 1) % systems.length
    const order = [...systems.slice(offset), ...systems.slice(0, offset)]
    for (const system of order) {
      const entry = await runOne(system, round, options)
      entries.push(entry)
    }
  }

  let named: Record<string, unknown> | undefined
  if (options.named !== "skip" && options.extras !== "only") named = await runNamed(options)
  let extras: Sections.Extras | undefined
  if (options.extras !== "skip" && options.named !== "only") extras = await runExtras(options)

  const summaries = Report.summarize(systems, entries)
  const table = Report.markdown(summaries)
  // the issue-7 targets read the flat table's full-pipeline row, or else the matrix's full-pipeline cell
  const targetRows = summaries.length > 0 ? summaries : fullPipelineAsSummary(cells)
  const checked = extras === undefined && targetRows.length === 0 ? [] : Sections.targets(targetRows, extras ?? {})
  const finishedAt = new Date()
  const document = {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
    machine,
    config: {
      events: options.events,
      rounds: options.rounds,
      workloads: workloads.map((w) => ({ id: w.id, events: Math.max(1, Math.round(options.events * w.scale)) })),
      flatSystems: systems.map((system) => system.id),
      latencySampling: "1 call in 61 (i % 61 === 0), performance.now() around the single call"
    },
    ...(matrix === undefined ? {} : { matrix: { disk: matrix.disk, cells, targets: matrixTargets, rounds: matrix.entries } }),
    summaries,
    rounds: entries,
    ...(named === undefined ? {} : { named }),
    ...(extras === undefined ? {} : { extras }),
    targets: checked
  }
  // A named-only, extras-only, `--quick` or `--only` run must not overwrite the tables of the last
  // full run (docs/benchmarks.md quotes them)
  const partial = options.quick || options.only !== undefined || options.flatOnly !== undefined
  const base = options.named === "only"
    ? "latest-named"
    : options.extras === "only"
    ? "latest-extras"
    : partial
    ? "latest-partial"
    : "latest"
  const jsonPath = Path.join(RESULTS_DIR, `${base}.json`)
  await Fs.mkdir(RESULTS_DIR, { recursive: true })
  await Fs.writeFile(jsonPath, JSON.stringify(document, null, 2) + "\n")
  const namedText = named === undefined ? "" : Report.namedMarkdown(named)
  const extrasText = Sections.markdown(extras ?? {}, checked)
  const matrixText = cells.length === 0
    ? ""
    : `#### effect-fapilog on every workload\n\n${MatrixReport.summaryMarkdown(cells, matrix?.disk)}\n\n` +
      `${MatrixReport.markdown(cells, matrix?.disk)}\n\n#### Targets (issue 17) in this run\n\n${MatrixReport.targetsMarkdown(matrixTargets)}`
  const header = `<!-- ${document.command} · ${document.finishedAt} · ${machine.cpus}× ${machine.cpuModel}, ` +
    `Node ${machine.node} · base ${options.events.toLocaleString("en-US")} events, median of ${options.rounds} rounds -->`
  const body = [
    matrixText,
    systems.length > 0 ? `#### Flat table (every system, one workload)\n\n${table}` : "",
    namedText === "" ? "" : `Named loggers:\n\n${namedText}`,
    extrasText
  ]
    .filter((part) => part !== "")
    .join("\n\n")
  if (body !== "") await Fs.writeFile(Path.join(RESULTS_DIR, `${base}.md`), `${header}\n\n${body}\n`)
  const subtitle = `base ${options.events.toLocaleString("en-US")} events, median of ${options.rounds} rounds · ` +
    `${machine.cpus}× ${machine.cpuModel} · Node ${machine.node} · ${document.finishedAt.slice(0, 10)}`
  if (cells.length > 0) await Fs.writeFile(Path.join(RESULTS_DIR, `${base}.svg`), MatrixReport.svg(cells, subtitle))
  if (systems.length > 0) await Fs.writeFile(Path.join(RESULTS_DIR, `${base}-flat.svg`), Chart.svg(summaries, subtitle))

  if (matrixText !== "") process.stdout.write(`\n${matrixText}\n`)
  if (systems.length > 0) {
    process.stdout.write(`\nflat table: ${options.events.toLocaleString("en-US")} events, median of ${options.rounds} rounds\n\n`)
    process.stdout.write(`${table}\n`)
  }
  if (named !== undefined) process.stdout.write(`\nnamed loggers (details in ${base}.json):\n${namedText}\n`)
  if (extrasText !== "") process.stdout.write(`\n${extrasText}\n`)
  const failures = [
    ...cells.flatMap((cell) => cell.failures.map((failure) => `${cell.workload}/${cell.system} ${failure}`)),
    ...summaries.flatMap((summary) => summary.failures.map((failure) => `${summary.id} ${failure}`))
  ]
  const namedFailures = named === undefined
    ? []
    : Object.entries(named).flatMap(([part, value]) =>
      isRecord(value) && typeof value["failure"] === "string" ? [`named ${part}: ${value["failure"]}`] : []
    )
  const extraFailures = extras === undefined ? [] : Sections.failures(extras).map((failure) => `extras ${failure}`)
  for (const failure of [...failures, ...namedFailures, ...extraFailures]) process.stdout.write(`FAILED ${failure}\n`)
  process.stdout.write(`\nwrote ${Path.relative(process.cwd(), jsonPath)}` +
    ` (${((finishedAt.getTime() - startedAt.getTime()) / 1000).toFixed(0)} s)\n`)
  if (failures.length + namedFailures.length + extraFailures.length > 0) process.exitCode = 1
}

/**
 * The matrix's full-pipeline cell of effect-fapilog as the flat table's `fapilog-full` row, so
 * that the issue-7 targets (`Sections.targets`) read it when the flat table did not run.
 */
const fullPipelineAsSummary = (cells: ReadonlyArray<MatrixReport.Cell>): ReadonlyArray<Report.Summary> => {
  const cell = cells.find((c) => c.workload === "full" && c.system === "fapilog")
  if (cell === undefined) return []
  return [{
    id: "fapilog-full",
    label: "effect-fapilog full pipeline (facade), matrix",
    rounds: cell.rounds,
    failures: cell.failures,
    eventsPerSec: cell.eventsPerSec,
    eventsPerSecByRound: cell.eventsPerSecByRound,
    ratios: { pino: cell.ratios.pino, pinoTransport: null, effectBuiltin: cell.ratios["effect-builtin"], floor: cell.ratios.floor },
    latencyUs: cell.latencyUs,
    maxRssMb: cell.maxRssMb,
    medianRssMb: null
  }]
}

const runOne = async (
  system: Systems.System,
  round: number,
  options: Options
): Promise<Report.RoundEntry> => {
  const outcome = await runChild({
    runner: system.runner,
    args: ["--events", String(options.events)],
    label: system.id,
    prefix: `[round ${round}/${options.rounds}] ${system.id.padEnd(18)}`,
    events: options.events,
    lines: options.events,
    writesFile: system.writesFile,
    timeoutMs: options.timeoutMs
  })
  return { round, system: system.id, ...outcome }
}

/** One runner child: the result line checked, then (if it writes one) its file checked line by line. */
const runChild = async (cell: {
  readonly runner: string
  readonly args: ReadonlyArray<string>
  readonly label: string
  readonly prefix: string
  readonly events: number
  readonly lines: number
  readonly writesFile: boolean
  readonly timeoutMs: number
  readonly nodeArgs?: ReadonlyArray<string>
}): Promise<{
  readonly ok: boolean
  readonly result?: Runner.Result
  readonly verified?: { readonly lines: number; readonly bytes: number }
  readonly failure?: string
}> => {
  const dir = await Fs.mkdtemp(Path.join(Os.tmpdir(), `fapilog-bench-${cell.label.replace(/\W+/g, "-")}-`))
  const file = Path.join(dir, "out.jsonl")
  const prefix = cell.prefix
  try {
    const outcome = await Child.run(
      Path.join(BENCH_DIR, cell.runner),
      [...cell.args, "--file", file],
      { timeoutMs: cell.timeoutMs, label: cell.label, nodeArgs: cell.nodeArgs ?? [] }
    )
    if (outcome._tag === "Failed") {
      log(`${prefix} FAILED: ${outcome.reason}`)
      return { ok: false, failure: outcome.reason }
    }
    const result = outcome.result
    if (!isResult(result) || result.events !== cell.events) {
      const reason = `unexpected result line: ${JSON.stringify(result).slice(0, 200)}`
      log(`${prefix} FAILED: ${reason}`)
      return { ok: false, failure: reason }
    }
    const figures = `${fmtInt(result.eventsPerSec).padStart(10)} ev/s  wall ${(result.wallMs / 1000).toFixed(2)} s` +
      `  p99 ${result.latencyUs.p99.toFixed(1)} µs  rss ${result.maxRssMb.toFixed(0)} MiB`
    if (!cell.writesFile) {
      log(`${prefix} ${figures}  (writes no file)`)
      return { ok: true, result }
    }
    const verifyStart = performance.now()
    const verdict = await Verify.jsonLines(file, cell.lines)
    const verifySec = ((performance.now() - verifyStart) / 1000).toFixed(1)
    if (!verdict.ok) {
      const reason = `output check failed: ${verdict.problem ?? "?"} (${fmtInt(verdict.lines)} lines, ` +
        `${fmtInt(verdict.invalid)} invalid)`
      log(`${prefix} ${figures}  FAILED ${reason}`)
      return { ok: false, result, failure: reason }
    }
    log(`${prefix} ${figures}  ✓ ${fmtInt(verdict.lines)} valid lines, ${(verdict.bytes / 2 ** 20).toFixed(0)} MiB (checked in ${verifySec} s)`)
    return { ok: true, result, verified: { lines: verdict.lines, bytes: verdict.bytes } }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    log(`${prefix} FAILED: ${reason}`)
    return { ok: false, failure: reason }
  } finally {
    await Fs.rm(dir, { recursive: true, force: true })
  }
}

/**
 * The workload × system matrix (issue 17): per round, every selected workload, its systems in an
 * order that rotates every round; the disk's own write rate is measured first when the
 * long-string workload runs.
 */
const runMatrix = async (options: Options): Promise<{
  readonly entries: ReadonlyArray<MatrixReport.Entry>
  readonly disk: MatrixReport.Disk | undefined
}> => {
  const workloads = Matrix.select(options.only)
  const disk = workloads.some((w) => w.id === "long") ? await measureDisk(options.quick ? 50 : 200) : undefined
  if (disk !== undefined) log(`[disk] ${disk.mb} MB sequential write + fsync in ${disk.seconds.toFixed(2)} s: ${disk.mbPerSec.toFixed(0)} MB/s`)
  const entries: Array<MatrixReport.Entry> = []
  for (let round = 1; round <= options.rounds; round++) {
    for (const workload of workloads) {
      const events = Math.max(1, Math.round(options.events * workload.scale))
      const ids = Matrix.systemsOf(workload, options.pretenuring)
      const offset = (round - 1) % ids.length
      const order = [...ids.slice(offset), ...ids.slice(0, offset)]
      for (const systemId of order) {
        const system = Matrix.system(systemId)
        const label = `${workload.id}/${system.id}`
        const outcome = await runChild({
          runner: "runners/matrix.ts",
          args: ["--workload", workload.id, "--system", system.runs, "--events", String(events)],
          nodeArgs: system.nodeArgs,
          label,
          prefix: `[round ${round}/${options.rounds}] ${label.padEnd(24)}`,
          events,
          lines: workload.linesFor(events),
          writesFile: system.writesFile,
          timeoutMs: options.timeoutMs
        })
        entries.push({ round, workload: workload.id, system: system.id, events, ...outcome })
      }
    }
  }
  return { entries, disk }
}

/**
 * The disk's own sequential write rate: `mb` MB written with `fs.writeSync` in 1 MB chunks to a
 * fresh dir under `os.tmpdir()` (where every runner writes), then `fsync`.
 */
const measureDisk = async (mb: number): Promise<MatrixReport.Disk> => {
  const dir = await Fs.mkdtemp(Path.join(Os.tmpdir(), "fapilog-bench-disk-"))
  const chunk = Buffer.alloc(1 << 20, 0x61)
  try {
    const fd = FsSync.openSync(Path.join(dir, "disk.bin"), "w")
    const t0 = performance.now()
    for (let i = 0; i < mb; i++) FsSync.writeSync(fd, chunk)
    FsSync.fsyncSync(fd)
    const seconds = (performance.now() - t0) / 1000
    FsSync.closeSync(fd)
    return { mb: Math.round(mb * 1.048576), seconds, mbPerSec: (mb * chunk.length) / 1e6 / seconds, dir: Os.tmpdir() }
  } finally {
    await Fs.rm(dir, { recursive: true, force: true })
  }
}

const runNamed = async (options: Options): Promise<Record<string, unknown>> => {
  const script = Path.join(BENCH_DIR, "named.ts")
  const out: Record<string, unknown> = {}
  const parts = [
    { part: "a", nodeArgs: [] as Array<string>, args: ["--calls", "1000000"] },
    { part: "b", nodeArgs: ["--expose-gc"], args: ["--loggers", "10000", "--idle-ms", "5000"] }
  ]
  for (const { part, nodeArgs, args } of parts) {
    const dir = await Fs.mkdtemp(Path.join(Os.tmpdir(), `fapilog-bench-named-${part}-`))
    try {
      const outcome = await Child.run(script, ["--part", part, "--dir", dir, ...args], {
        nodeArgs,
        timeoutMs: options.timeoutMs,
        label: `named-${part}`
      })
      if (outcome._tag === "Failed") {
        log(`[named ${part}] FAILED: ${outcome.reason}`)
        out[part] = { failure: outcome.reason }
      } else {
        log(`[named ${part}] ${JSON.stringify(outcome.result)}`)
        out[part] = outcome.result
      }
    } finally {
      await Fs.rm(dir, { recursive: true, force: true })
    }
  }
  return out
}

const runExtras = async (options: Options): Promise<Sections.Extras> => {
  const quick = options.quick
  const notes: Array<string> = []
  if (quick) {
    notes.push(
      "--quick: pipeline 100,000 events × 3 rounds, mix seed 1 only, event-loop delay over 2 s (not 5 s), " +
        "memory over 200,000 events and 5 rounds of 50,000 — not the issue's figures."
    )
  }
  /** Runs one extra child; `expected` lines of `file` are checked when given. */
  const part = async (
    name: string,
    script: string,
    args: ReadonlyArray<string>,
    nodeArgs: ReadonlyArray<string>,
    check?: { readonly file: string; readonly expected: (result: Record<string, unknown>) => number }
  ): Promise<Sections.Part> => {
    const outcome = await Child.run(Path.join(BENCH_DIR, script), args, {
      nodeArgs,
      timeoutMs: options.timeoutMs,
      label: name
    })
    if (outcome._tag === "Failed") {
      log(`[${name}] FAILED: ${outcome.reason}`)
      return { failure: outcome.reason }
    }
    if (!isRecord(outcome.result)) return { failure: `unexpected result line: ${JSON.stringify(outcome.result).slice(0, 200)}` }
    let result: Record<string, unknown> = outcome.result
    if (check !== undefined) {
      const expected = check.expected(result)
      const verdict = await Verify.jsonLines(check.file, expected)
      result = { ...result, verified: verdict.ok, verifiedLines: verdict.lines }
      if (!verdict.ok) {
        result = { ...result, failure: `output check failed: ${verdict.problem ?? "?"} (${fmtInt(verdict.lines)} lines)` }
      }
    }
    log(`[${name}] ${summarizeExtra(result)}`)
    return result
  }
  const withDir = async <A>(name: string, f: (dir: string) => Promise<A>): Promise<A> => {
    const dir = await Fs.mkdtemp(Path.join(Os.tmpdir(), `fapilog-bench-${name}-`))
    try {
      return await f(dir)
    } finally {
      await Fs.rm(dir, { recursive: true, force: true })
    }
  }

  const pipeline = await part("pipeline", "pipeline.ts", [
    "--events",
    String(quick ? 100_000 : 500_000),
    "--rounds",
    String(quick ? 3 : 7)
  ], [])
  const mix = await part("mix", "aggregation.ts", ["--part", "mix", "--seeds", quick ? "1" : "1,2,3"], [])
  const heap = await part("heap", "aggregation.ts", ["--part", "heap"], ["--expose-gc"])

  const seconds = quick ? 2 : 5
  const eventloop: Record<string, Sections.Part> = {}
  for (const system of ["fapilog", "pino", "none"]) {
    eventloop[system] = await withDir(`eventloop-${system}`, (dir) => {
      const file = Path.join(dir, "out.jsonl")
      const args = ["--system", system, "--file", file, "--rate", "100000", "--seconds", String(seconds)]
      return part(
        `eventloop ${system}`,
        "eventloop.ts",
        args,
        [],
        system === "none" ? undefined : { file, expected: (r) => Number(r["events"]) }
      )
    })
  }

  const memory: Record<string, Sections.Part> = {}
  const memoryRuns = [
    { name: "peak", args: ["--part", "peak", "--events", String(quick ? 200_000 : 1_000_000)] },
    { name: "rounds", args: ["--part", "rounds", "--events", String(quick ? 50_000 : 200_000), "--rounds", "5"] }
  ]
  for (const run of memoryRuns) {
    memory[run.name] = await withDir(`memory-${run.name}`, (dir) => {
      const file = Path.join(dir, "out.jsonl")
      return part(`memory ${run.name}`, "memory.ts", [...run.args, "--file", file], ["--expose-gc"], {
        file,
        expected: (r) => Number(r["linesExpected"])
      })
    })
  }
  return { pipeline, mix, heap, eventloop, memory, notes }
}

/** A one-line progress summary of an extra child's result. */
const summarizeExtra = (result: Record<string, unknown>): string => {
  const text = JSON.stringify(result, (key, value: unknown) =>
    key === "perSeed" || key === "variants" || key === "msByRound" ? undefined :
      typeof value === "number" && !Number.isInteger(value) ? Number(value.toPrecision(4)) : value)
  return text.length > 400 ? `${text.slice(0, 400)}…` : text
}

const parseOptions = (argv: ReadonlyArray<string>): Options => {
  let events: number | undefined
  let rounds: number | undefined
  let only: string | undefined
  let quick = false
  let flat = false
  let flatOnly: string | undefined
  let matrix = true
  let named: Options["named"] | undefined
  let extras: Options["extras"] | undefined
  let service = false
  let pretenuring = false
  let seconds: number | undefined
  let timeoutMs = 180_000
  let list = false
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    const value = (): string => {
      const next = argv[++i]
      if (next === undefined) throw new Error(`${flag} needs a value`)
      return next
    }
    switch (flag) {
      case "--quick":
        quick = true
        break
      case "--events":
        events = positiveInt(flag, value())
        break
      case "--rounds":
        rounds = positiveInt(flag, value())
        break
      case "--only":
        only = value()
        break
      case "--flat":
        flat = true
        break
      case "--flat-only":
        flat = true
        matrix = false
        flatOnly = value()
        break
      case "--no-matrix":
        matrix = false
        break
      case "--named":
        named = "only"
        break
      case "--no-named":
        named = "skip"
        break
      case "--extras":
        extras = "only"
        break
      case "--no-extras":
        extras = "skip"
        break
      case "--pretenuring":
        pretenuring = true
        break
      case "--service":
        service = true
        break
      case "--seconds":
        seconds = positiveInt(flag, value())
        break
      case "--timeout":
        timeoutMs = positiveInt(flag, value()) * 1000
        break
      case "--list":
        list = true
        break
      default:
        throw new Error(`unknown flag ${flag}; see docs/benchmarks.md`)
    }
  }
  if (only !== undefined) Matrix.select(only) // fail early on an unknown workload
  const onlyMode = named === "only" || extras === "only"
  return {
    events: events ?? (quick ? 20_000 : 200_000),
    rounds: Math.max(rounds ?? (quick ? 1 : 3), 1),
    only,
    quick,
    matrix: matrix && !onlyMode,
    flat: flat && !onlyMode,
    flatOnly,
    // The named-logger figures belong to the full run; --quick and --only skip them unless asked.
    named: named ?? (quick || only !== undefined || flatOnly !== undefined ? "skip" : "also"),
    // The extra figures run by default, shortened with --quick; --only skips them unless asked.
    extras: extras ?? (only !== undefined || flatOnly !== undefined ? "skip" : "also"),
    pretenuring,
    service,
    seconds: seconds ?? (quick ? 3 : 10),
    timeoutMs,
    list
  }
}

const describeMachine = () => {
  const cpus = Os.cpus()
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    totalMemGiB: Number((Os.totalmem() / 2 ** 30).toFixed(1)),
    os: `${Os.type()} ${Os.release()} ${Os.arch()}`,
    node: process.versions.node,
    loadAverageAtStart: Os.loadavg().map((load) => Number(load.toFixed(2)))
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null

const isResult = (value: unknown): value is Runner.Result =>
  isRecord(value) && typeof value["eventsPerSec"] === "number" && typeof value["wallMs"] === "number" &&
  typeof value["events"] === "number" && typeof value["maxRssMb"] === "number" && isRecord(value["latencyUs"])

const positiveInt = (flag: string, text: string): number => {
  const value = Number(text)
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${flag} expects a positive integer, got ${text}`)
  return value
}

const fmtInt = (value: number): string => Math.round(value).toLocaleString("en-US")

const log = (line: string): void => {
  process.stderr.write(`${line}\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 2
})
