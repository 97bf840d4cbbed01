/**
 * Runs one benchmark script in a fresh Node process and collects the one JSON line it prints.
 *
 * @module
 */
import * as ChildProcess from "node:child_process"

/** How a child ended. */
export type Outcome =
  | { readonly _tag: "Ok"; readonly result: unknown; readonly elapsedMs: number }
  | { readonly _tag: "Failed"; readonly reason: string; readonly elapsedMs: number }

/** Options for {@link run}. */
export interface Options {
  /** Flags for the Node process itself, before the script (e.g. `--expose-gc`). */
  readonly nodeArgs?: ReadonlyArray<string>
  /** Kill the child (and fail) after this many milliseconds. */
  readonly timeoutMs: number
  /** Prefix for the child's stderr lines, which are forwarded to ours. */
  readonly label: string
}

/**
 * Spawns `process.execPath [nodeArgs] script [args]`, forwards its stderr (prefixed), and parses
 * the last non-empty stdout line as JSON.
 *
 * @example
 * ```ts
 * import * as Child from "./Child.ts"
 * const outcome = await Child.run("bench/runners/pino.ts", ["--events", "1000", "--file", "/tmp/p.jsonl"], {
 *   timeoutMs: 60_000,
 *   label: "pino"
 * })
 * ```
 */
export const run = (script: string, args: ReadonlyArray<string>, options: Options): Promise<Outcome> =>
  new Promise((resolve) => {
    const started = performance.now()
    const child = ChildProcess.spawn(process.execPath, [...(options.nodeArgs ?? []), script, ...args], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderrTail = ""
    let pending = ""
    let timedOut = false
    child.stdout.setEncoding("utf8")
    child.stderr.setEncoding("utf8")
    child.stdout.on("data", (chunk: string) => {
      stdout += chunk
    })
    child.stderr.on("data", (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-2000)
      pending += chunk
      let nl = pending.indexOf("\n")
      while (nl !== -1) {
        process.stderr.write(`    [${options.label}] ${pending.slice(0, nl)}\n`)
        pending = pending.slice(nl + 1)
        nl = pending.indexOf("\n")
      }
    })
    const timer = setTimeout(() => {
      timedOut = true
      child.kill("SIGKILL")
    }, options.timeoutMs)
    child.on("error", (error) => {
      clearTimeout(timer)
      resolve({ _tag: "Failed", reason: `spawn failed: ${error.message}`, elapsedMs: performance.now() - started })
    })
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      if (pending !== "") process.stderr.write(`    [${options.label}] ${pending}\n`)
      const elapsedMs = performance.now() - started
      if (timedOut) {
        resolve({ _tag: "Failed", reason: `timed out after ${options.timeoutMs} ms`, elapsedMs })
        return
      }
      const last = stdout.trim().split("\n").pop() ?? ""
      if (code !== 0 || last === "") {
        const why = signal !== null ? `signal ${signal}` : `exit code ${code}`
        const tail = stderrTail.trim().split("\n").slice(-3).join(" | ")
        resolve({
          _tag: "Failed",
          reason: `${why}${last === "" ? ", no result line" : ""}${tail === "" ? "" : `: ${tail}`}`,
          elapsedMs
        })
        return
      }
      try {
        resolve({ _tag: "Ok", result: JSON.parse(last) as unknown, elapsedMs })
      } catch {
        resolve({ _tag: "Failed", reason: `result line is not JSON: ${last.slice(0, 200)}`, elapsedMs })
      }
    })
  })
