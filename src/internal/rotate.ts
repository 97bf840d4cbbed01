/**
 * File rotation helpers for `Sink.file`: numbered retention (`app.jsonl.1` is the newest old
 * file), rotation periods, and where to cut a chunk so that no line is split across files.
 *
 * @internal
 */
import * as fs from "node:fs"

/** @internal */
export type Interval = "daily" | "hourly"

/** The period (hour or UTC day number) of epoch milliseconds. @internal */
export const periodOf = (ms: number, interval: Interval | undefined): number =>
  interval === undefined ? 0 : Math.floor(ms / (interval === "hourly" ? 3_600_000 : 86_400_000))

/**
 * Shifts `path.(n)` to `path.(n+1)` for n = maxFiles-1 … 1, then `path` to `path.1` (the oldest
 * file beyond `maxFiles` is overwritten by the rename); with `maxFiles` 0 the file is removed.
 * Synchronous: called between two writes, with no write in flight. Throws when `path` itself
 * cannot be moved (the caller keeps writing to the current file).
 *
 * @internal
 */
export const shiftFiles = (path: string, maxFiles: number): void => {
  if (maxFiles <= 0) {
    fs.unlinkSync(path)
    return
  }
  for (let i = maxFiles - 1; i >= 1; i--) {
    try {
      fs.renameSync(`${path}.${i}`, `${path}.${i + 1}`)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e
    }
  }
  fs.renameSync(path, `${path}.1`)
}

/**
 * How many bytes of `buffer` go into the current file, which holds `size` of at most `maxBytes`
 * bytes: everything if it fits, else up to the last newline that fits; 0 means "rotate first".
 * A single line longer than `maxBytes` goes whole into an empty file.
 *
 * @internal
 */
export const fitting = (buffer: Uint8Array, size: number, maxBytes: number): number => {
  const room = maxBytes - size
  if (buffer.length <= room) return buffer.length
  if (room > 0) {
    const cut = buffer.lastIndexOf(10, room - 1)
    if (cut >= 0) return cut + 1
  }
  if (size > 0) return 0
  const nl = buffer.indexOf(10)
  return nl < 0 ? buffer.length : nl + 1
}

/** Newlines (lines) in a chunk. @internal */
export const countLines = (buffer: Uint8Array): number => {
  let n = 0
  let i = buffer.indexOf(10)
  while (i >= 0) {
    n++
    i = buffer.indexOf(10, i + 1)
  }
  return n
}
