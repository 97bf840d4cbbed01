/**
 * The `effect-fapilog pretty` command (not API): NDJSON from a file or stdin, rendered with the
 * console format of `Encoder.pretty` (the same renderer, {@link Pretty.render}).
 *
 * ```text
 * effect-fapilog pretty [file] [--level <level>] [--follow] [--color | --no-color] [--all] [--width <n>]
 * ```
 *
 * - Lines that are not a JSON object are printed unchanged; a JSON line whose level is below
 *   `--level` is skipped (a line without a known level is kept).
 * - `--follow` (`-f`, with a file) keeps reading what is appended, like `tail -f`, polling the
 *   file's size through Effect's `Clock`; a truncated file (rotated in place) is read again from
 *   its start. It runs until interrupted: the entry point runs it under `NodeRuntime.runMain`,
 *   which interrupts it on SIGINT/SIGTERM.
 * - Colours follow `--color`/`--no-color`, else `FORCE_COLOR`/`NO_COLOR`, else whether stdout is
 *   a TTY.
 *
 * Contract: {@link main} never throws; a usage error or an unreadable file fails it with a
 * {@link CommandError} whose message the entry point prints as one line on stderr.
 *
 * @internal
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import { StringDecoder } from "node:string_decoder"
import { errorMessage } from "./errorMessage.ts"
import * as Pretty from "./pretty.ts"

/** A usage error or an I/O failure of the command. */
export class CommandError extends Data.TaggedError("CommandError")<{ readonly message: string }> {}

/** Parsed arguments. */
export interface Arguments {
  readonly file: string | undefined
  readonly level: string | undefined
  readonly follow: boolean
  readonly colors: boolean | undefined
  readonly all: boolean
  readonly width: number | undefined
}

export const USAGE = "usage: effect-fapilog pretty [file] [--level <level>] [--follow] [--color | --no-color] [--all] [--width <n>]"

const SEVERITY: Readonly<Record<string, number>> = { TRACE: 1, DEBUG: 2, INFO: 3, WARN: 4, WARNING: 4, ERROR: 5, FATAL: 6 }

/** `argv` after the command name (`pretty …`). */
export const parse = (argv: ReadonlyArray<string>): Effect.Effect<Arguments, CommandError> =>
  Effect.suspend(() => {
    const fail = (message: string) => Effect.fail(new CommandError({ message: `${message}\n${USAGE}` }))
    if (argv[0] !== "pretty") return fail(argv[0] === undefined ? "no command given" : `unknown command: ${argv[0]}`)
    let file: string | undefined
    let level: string | undefined
    let follow: boolean = false
    let colors: boolean | undefined
    let all: boolean = false
    let width: number | undefined
    for (let i = 1; i < argv.length; i++) {
      const arg = argv[i]!
      const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined]
      const value = () => inline ?? argv[++i]
      if (flag === "--level" || flag === "-l") {
        level = value()?.toUpperCase()
        if (level === undefined || !Object.hasOwn(SEVERITY, level)) return fail(`--level must be one of trace, debug, info, warn, error, fatal`)
      } else if (flag === "--follow" || flag === "-f") follow = true
      else if (flag === "--color" || flag === "--colors") colors = true
      else if (flag === "--no-color" || flag === "--no-colors") colors = false
      else if (flag === "--all") all = true
      else if (flag === "--width") {
        width = Number(value())
        if (!Number.isInteger(width) || width <= 0) return fail("--width must be a positive integer")
      } else if (flag.startsWith("-") && flag !== "-") return fail(`unknown option: ${flag}`)
      else if (file === undefined) file = flag === "-" ? undefined : flag
      else return fail(`one file at most (got ${file} and ${flag})`)
    }
    if (follow && file === undefined) return fail("--follow needs a file")
    const args: Arguments = { file, level, follow, colors, all, width }
    return Effect.succeed(args)
  })

/** The console text of one input line, `undefined` when `--level` filters it out. */
export const renderLine = (
  line: string,
  options: Pretty.Options,
  minSeverity: number
): string | undefined => {
  let record: unknown
  try {
    record = line.trimStart().startsWith("{") ? JSON.parse(line) : undefined
  } catch {
    record = undefined
  }
  if (typeof record !== "object" || record === null || Array.isArray(record)) return line
  const severity = SEVERITY[Pretty.levelName((record as Record<string, unknown>)["level"])]
  if (severity !== undefined && severity < minSeverity) return undefined
  return Pretty.render(record as Record<string, unknown>, options)
}

/** Runs the command: `argv` is what follows the program name (`["pretty", "app.jsonl", …]`). */
export const main = (
  argv: ReadonlyArray<string>,
  io: { readonly stdin: NodeJS.ReadableStream; readonly stdout: NodeJS.WriteStream } = {
    stdin: process.stdin,
    stdout: process.stdout
  }
): Effect.Effect<void, CommandError> =>
  Effect.gen(function*() {
    const args = yield* parse(argv)
    const options = Pretty.resolve({
      colors: args.colors ?? Pretty.colorsFor(io.stdout),
      width: args.width,
      metadata: args.all ? "show" : "hide"
    })
    const min = args.level === undefined ? 0 : SEVERITY[args.level]!
    const write = writer(io.stdout, options, min)
    if (args.file === undefined) return yield* readAll(io.stdin, write)
    const file = args.file
    if (!args.follow) return yield* readAll(fs.createReadStream(file), write, file)
    return yield* follow(file, write)
  })

/** Renders lines and writes them in one piece, waiting when stdout asks to (back-pressure). */
const writer = (stdout: NodeJS.WriteStream, options: Pretty.Options, min: number) =>
(lines: ReadonlyArray<string>): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    let out = ""
    for (const line of lines) {
      const text = renderLine(line, options, min)
      if (text !== undefined) out += text + "\n"
    }
    if (out === "" || stdout.write(out)) return resume(Effect.void)
    stdout.once("drain", () => resume(Effect.void))
  })

const ioError = (what: string | undefined, e: unknown) =>
  new CommandError({ message: `cannot read ${what ?? "stdin"}: ${errorMessage(e)}` })

/** Splits chunks of UTF-8 bytes into lines; a line is held until its newline (or the end) comes. */
const lineSplitter = () => {
  let pending = ""
  let decoder = new StringDecoder("utf8")
  return {
    push: (chunk: Buffer | string): Array<string> => {
      const lines = (pending + (typeof chunk === "string" ? chunk : decoder.write(chunk))).split(/\r?\n/)
      pending = lines.pop()!
      return lines
    },
    end: (): Array<string> => {
      const rest = pending + decoder.end()
      pending = ""
      return rest === "" ? [] : [rest]
    },
    reset: (): void => {
      pending = ""
      decoder = new StringDecoder("utf8")
    }
  }
}

/** Every line of `input`, to its end. */
const readAll = (
  input: NodeJS.ReadableStream,
  write: (lines: ReadonlyArray<string>) => Effect.Effect<void>,
  name?: string
): Effect.Effect<void, CommandError> =>
  Effect.tryPromise({
    try: async () => {
      const split = lineSplitter()
      for await (const chunk of input) await Effect.runPromise(write(split.push(chunk as Buffer | string)))
      await Effect.runPromise(write(split.end()))
    },
    catch: (e) => ioError(name, e)
  })

const POLL = "250 millis"

/**
 * `tail -f`: the whole file, then what is appended, forever (until interrupted). Reads from the
 * last offset whenever the size grew; starts over when it shrank (truncated in place).
 */
const follow = (
  file: string,
  write: (lines: ReadonlyArray<string>) => Effect.Effect<void>
): Effect.Effect<never, CommandError> =>
  Effect.gen(function*() {
    let offset = 0
    const split = lineSplitter()
    const step = Effect.gen(function*() {
      const size = yield* Effect.try({ try: () => fs.statSync(file).size, catch: (e) => ioError(file, e) })
      if (size < offset) {
        offset = 0
        split.reset()
      }
      if (size === offset) return
      const chunk = yield* Effect.try({ try: () => readRange(file, offset, size), catch: (e) => ioError(file, e) })
      offset += chunk.length
      yield* write(split.push(chunk))
    })
    return yield* Effect.forever(Effect.andThen(step, Effect.sleep(POLL)))
  })

const readRange = (file: string, from: number, to: number): Buffer => {
  const fd = fs.openSync(file, "r")
  try {
    const buffer = Buffer.alloc(to - from)
    const n = fs.readSync(fd, buffer, 0, buffer.length, from)
    return buffer.subarray(0, n)
  } finally {
    fs.closeSync(fd)
  }
}
