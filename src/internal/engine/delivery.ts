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
 * at least one sink accepted it; each sink's failures are recorded against that sink; events
 * that every accepting sink's encoder left out are dropped as "encode failure".
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

  /**
   * What a sink that accepted `batch` left out of its lines because its encoder could not encode
   * them: its writer's count when it writes its own encoder's lines, else the batch's NDJSON's
   * (known once a sink read `ndjson`).
   */
  const leftOut = (w: NamedWriter, batch: Batch): number => w.writer.unencodable?.(batch) ?? batch.unencodable

  /** One sink, one batch: `undefined` if the sink did not accept it, else what it left out. */
  const writeOne = (w: NamedWriter, batch: Batch): Effect.Effect<number | undefined> =>
    Effect.map(Effect.exit(Effect.suspend(() => w.writer.write(batch))), (exit) => {
      const lost = noteLost(w, "events lost after a write was accepted")
      if (Exit.isFailure(exit)) {
        failed(w, batch.events.length, failureMessage(exit.cause))
        return undefined
      }
      if (lost === 0) ledger.sinkOk(w.name)
      return leftOut(w, batch)
    })

  /**
   * The outcome of a batch once its sinks ran (`outcomes[i]` is `ws[i]`'s, as `writeOne` tells).
   * Events no accepting sink wrote because its encoder could not render them even one by one
   * are dropped as "encode failure", not counted as written; they are counted, not identified,
   * so that is the fewest any accepting sink left out (or `batch.unencodable` when none accepted
   * the batch). What a sink left out beyond that, other sinks wrote: that sink's failure.
   */
  const settle = (batch: Batch, synthetic: number, ws: ReadonlyArray<NamedWriter>, outcomes: ReadonlyArray<number | undefined>): void => {
    let unencodable = Infinity
    for (const left of outcomes) if (left !== undefined && left < unencodable) unencodable = left
    const ok = unencodable !== Infinity || outcomes.length === 0
    if (unencodable === Infinity) unencodable = batch.unencodable
    for (let i = 0; i < ws.length; i++) {
      const left = outcomes[i]
      if (left !== undefined && left > unencodable) failed(ws[i]!, left - unencodable, "its encoder could not encode some events")
    }
    if (unencodable > 0) ledger.drop("encode failure", unencodable)
    ledger.delivered(batch.events.length - unencodable, synthetic, ok)
  }

  const write = (batch: Batch, synthetic: number): Effect.Effect<void> => {
    if (sole) return Effect.map(writeOne(writers[0]!, batch), (left) => settle(batch, synthetic, writers, [left]))
    return Effect.map(
      Effect.forEach(writers, (w) => writeOne(w, batch), { concurrency: "unbounded" }),
      (outcomes) => settle(batch, synthetic, writers, outcomes)
    )
  }

  /** Writes of sinks without a synchronous path, started synchronously: one chain per sink. */
  const detached = new Map<string, Fiber.Fiber<unknown>>()
  const run = Effect.runForkWith(context)

  const writeUnsafe = (batch: Batch, synthetic: number): void => {
    const outcomes = writers.map((w) => writeOneUnsafe(w, batch))
    settle(batch, synthetic, writers, outcomes)
  }

  /** `writeOne`, synchronously: a sink without `writeUnsafe` writes on a detached fiber. */
  const writeOneUnsafe = (w: NamedWriter, batch: Batch): number | undefined => {
    if (w.writer.writeUnsafe !== undefined) {
      try {
        w.writer.writeUnsafe(batch)
        return leftOut(w, batch)
      } catch (cause) {
        failed(w, batch.events.length, errorMessage(cause))
        return undefined
      }
    } else {
      // counted as accepted: what the detached write fails is that sink's failure
      const previous = detached.get(w.name)
      const one = writeOne(w, batch)
      const fiber = run(previous === undefined ? one : Effect.andThen(Fiber.await(previous), one))
      detached.set(w.name, fiber)
      fiber.addObserver(() => {
        if (detached.get(w.name) === fiber) detached.delete(w.name)
      })
      return leftOut(w, batch)
    }
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
    // with no synchronous sink, the batch reached none
    settle(batch, synthetic, syncWriters, syncWriters.length === 0 ? [undefined] : syncWriters.map((w) => writeOneUnsafe(w, batch)))
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
