/**
 * Delivery of batches to a worker's sinks, with a per-sink outcome.
 *
 * Who calls it: the consumers of pipeline output — the draining fiber (`write`, which may
 * suspend: timeouts, retries) and synchronous drives (`writeUnsafe`: `writeUnsafe` of sinks that
 * have it, a detached fiber per sink for the others, chained so that one sink's writes stay in
 * order); `flush` after a flush barrier and at release.
 * Must never: let one sink's failure (error, throw, defect) reach another sink or the caller, or
 * count a batch as dropped while one sink got it.
 * Invariant: every batch handed over is recorded once in the ledger (`delivered`), written if
 * at least one sink accepted it; each sink's failures are recorded against that sink.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type { Batch, Writer } from "../../Sink.ts"
import { errorMessage } from "../errorMessage.ts"
import type { Ledger } from "./accounting.ts"

export interface NamedWriter {
  readonly name: string
  readonly writer: Writer
}

/** Writes each distinct message to stderr once per worker (bounded: at most 64 remembered). */
export class Reporter {
  private readonly seen = new Set<string>()
  once(message: string): void {
    if (this.seen.has(message)) return
    if (this.seen.size >= 64) this.seen.clear()
    this.seen.add(message)
    process.stderr.write(message)
  }
}

export const failureMessage = (cause: Cause.Cause<unknown>): string => {
  for (const reason of cause.reasons) {
    const error = reason._tag === "Fail" ? reason.error : reason._tag === "Die" ? reason.defect : undefined
    if (error !== undefined) {
      if (typeof error === "object" && error !== null && "message" in error && typeof error.message === "string") return error.message
      return String(error)
    }
  }
  return "interrupted"
}

export const makeDelivery = (
  logger: string,
  writers: ReadonlyArray<NamedWriter>,
  ledger: Ledger,
  context: Context.Context<never>,
  reporter: Reporter
) => {
  const sole = writers.length === 1
  const failed = (w: NamedWriter, n: number, message: string): void => {
    ledger.sinkFailed(w.name, n, message)
    reporter.once(`effect-fapilog: sink ${w.name} of logger "${logger}" failed: ${message}\n`)
  }
  const noteLost = (w: NamedWriter, message: string): number => {
    const lost = w.writer.takeLost?.() ?? 0
    if (lost > 0) ledger.sinkLost(w.name, lost, message, sole)
    return lost
  }

  /** One sink, one batch; whether the sink accepted it. */
  const writeOne = (w: NamedWriter, batch: Batch): Effect.Effect<boolean> =>
    Effect.map(Effect.exit(Effect.suspend(() => w.writer.write(batch))), (exit) => {
      const lost = noteLost(w, "events lost after a write was accepted")
      if (Exit.isFailure(exit)) {
        failed(w, batch.events.length, failureMessage(exit.cause))
        return false
      }
      if (lost === 0) ledger.sinkOk(w.name)
      return true
    })

  /**
   * The outcome of a batch once its sinks ran. Events the encoder could not render even one by
   * one (`batch.unencodable`, known once a sink read `ndjson`) are dropped as "encode failure",
   * not counted as written.
   */
  const settle = (batch: Batch, synthetic: number, ok: boolean): void => {
    const unencodable = batch.unencodable
    if (unencodable > 0) ledger.drop("encode failure", unencodable)
    ledger.delivered(batch.events.length - unencodable, synthetic, ok)
  }

  const write = (batch: Batch, synthetic: number): Effect.Effect<void> => {
    if (sole) return Effect.map(writeOne(writers[0]!, batch), (ok) => settle(batch, synthetic, ok))
    return Effect.map(
      Effect.forEach(writers, (w) => writeOne(w, batch), { concurrency: "unbounded" }),
      (oks) => settle(batch, synthetic, oks.length === 0 || oks.some((ok) => ok))
    )
  }

  /** Writes of sinks without a synchronous path, started synchronously: one chain per sink. */
  const detached = new Map<string, Fiber.Fiber<unknown>>()
  const run = Effect.runForkWith(context)

  const writeUnsafe = (batch: Batch, synthetic: number): void => {
    let ok = writers.length === 0
    for (const w of writers) {
      if (w.writer.writeUnsafe !== undefined) {
        try {
          w.writer.writeUnsafe(batch)
          ok = true
        } catch (cause) {
          failed(w, batch.events.length, errorMessage(cause))
        }
      } else {
        // counted as accepted: what the detached write fails is that sink's failure
        ok = true
        const previous = detached.get(w.name)
        const one = writeOne(w, batch)
        const fiber = run(previous === undefined ? one : Effect.andThen(Fiber.await(previous), one))
        detached.set(w.name, fiber)
        fiber.addObserver(() => {
          if (detached.get(w.name) === fiber) detached.delete(w.name)
        })
      }
    }
    settle(batch, synthetic, ok)
  }

  /** Waits for detached writes and write-behind writers to reach the OS; what they lost is counted. */
  const flush: Effect.Effect<void> = Effect.suspend(() =>
    Effect.andThen(
      Effect.forEach(Array.from(detached.values()), (f) => Fiber.await(f), { discard: true }),
      Effect.forEach(
        writers.filter((w) => w.writer.flush !== undefined),
        (w) =>
          Effect.map(Effect.result(Effect.suspend(() => w.writer.flush!)), (r) => {
            noteLost(w, r._tag === "Failure" ? r.failure.message : "events lost")
            if (r._tag === "Failure") reporter.once(`effect-fapilog: sink ${w.name} of logger "${logger}" failed: ${r.failure.message}\n`)
          }),
        { discard: true, concurrency: "unbounded" }
      )
    )
  )

  const syncWriters = writers.filter((w) => w.writer.writeUnsafe !== undefined)

  /** At the process's exit: synchronous sinks only (no fiber will run); whether there are any. */
  const writeExitUnsafe = (batch: Batch, synthetic: number): boolean => {
    let ok = false
    for (const w of syncWriters) {
      try {
        w.writer.writeUnsafe!(batch)
        ok = true
      } catch (cause) {
        failed(w, batch.events.length, errorMessage(cause))
      }
    }
    settle(batch, synthetic, ok)
    return syncWriters.length > 0
  }

  /** At the process's exit, after the last write: write-behind writers write what they buffer. */
  const flushExitUnsafe = (): void => {
    for (const w of syncWriters) {
      try {
        w.writer.flushUnsafe?.()
      } catch {
        // the process is exiting: what a writer cannot write is reported by its lost count
      }
    }
  }

  /** Names of sinks that cannot write synchronously (reported when the process exits). */
  const asyncOnly = writers.filter((w) => w.writer.writeUnsafe === undefined).map((w) => w.name)

  return { write, writeUnsafe, writeExitUnsafe, flushExitUnsafe, flush, asyncOnly }
}

export type Delivery = ReturnType<typeof makeDelivery>
