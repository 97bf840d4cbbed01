/**
 * Supervision and lifecycle of a worker: the draining fiber (restarted with a `Schedule`, then
 * the fallback to synchronous drives), the release (drain with a timeout, summary, metrics) and
 * the process's `exit` hook.
 *
 * Who calls it: the worker's composition, once, when the worker starts (in its scope).
 * Must never: leave a flush waiting on a dead pipeline or a closed worker, let a death go
 * uncounted, or keep the `exit` listener after the release.
 * Invariant: once released, every event taken is written, dropped and counted, or absorbed;
 * what the drain timeout cut off is counted and reported on stderr.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type { LogEvent } from "../../LogEvent.ts"
import type { Batch } from "../../Sink.ts"
import type { Mode, Options } from "../../Worker.ts"
import type { EventQueue } from "../queue.ts"
import type { Ledger } from "./accounting.ts"
import type { Batcher } from "./batching.ts"
import type { Consumers, SyncPath } from "./consumers.ts"
import type { Delivery, Reporter } from "./delivery.ts"
import { ExitHooks } from "./exit.ts"
import type { Consume, Runner } from "./runner.ts"

export interface State {
  mode: Mode
  fiber: Fiber.Fiber<unknown, unknown> | undefined
  readonly pendingFlushes: Set<() => void>
  /**
   * Installs the `exit` hook; called by the offer path at the worker's first event (an idle
   * worker holds nothing to write, and other `exit` listeners installed when the facade was
   * built — the leak warning — see the queue as it was).
   */
  armExit: (() => void) | undefined
}

/** The components a worker is composed of. */
export interface Parts {
  readonly q: EventQueue
  readonly ledger: Ledger
  readonly runner: Runner
  readonly delivery: Delivery
  readonly batcher: Batcher
  readonly consumers: Consumers
  readonly publish: Effect.Effect<void>
  readonly sync: SyncPath
  readonly state: State
  readonly reporter: Reporter
  readonly clock: Clock.Clock
  readonly makeBatch: (events: ReadonlyArray<LogEvent>) => Batch
}

/**
 * Supervision: the draining fiber drives one batch at a time through the pipeline; if the
 * pipeline dies, what it held is counted (`worker failure`), its barriers released, and a new
 * instance is built, after an exponential `Schedule`-like backoff; after `maxRestarts` the
 * worker falls back to synchronous drives of its (rebuilt) pipeline.
 */
export const supervise = (options: Options, p: Parts): Effect.Effect<void> => {
  // while the stages hold events (an open aggregate) and nothing arrives, an empty drive every
  // `batchWait` lets them emit what is due (an aggregate whose window closed); otherwise the
  // fiber waits on the queue, outside the pipeline (free for the synchronous path)
  const tick = Duration.max(Duration.fromInputUnsafe(options.batchWait), Duration.millis(10))
  const idle: Effect.Effect<void, unknown> = Effect.andThen(
    Effect.race(p.q.awaitAtLeast(1), Effect.sleep(tick)),
    Effect.suspend(() => p.q.size > 0 || p.q.ended ? drain : Effect.andThen(p.runner.drive([], p.consumers.async), drain))
  )
  const drain: Effect.Effect<void, unknown> = Effect.suspend(() => {
    if (p.q.size === 0 && !p.q.ended && p.ledger.held() > 0) return idle
    return Effect.flatMap(p.batcher.next, (batch) =>
      batch === undefined
        ? p.runner.finish(p.consumers.async)
        : Effect.andThen(p.runner.drive(batch, p.consumers.async), drain))
  })
  /** A death: what the dead instance held is counted, its barriers released, a new one built. */
  const died = (cause: Cause.Cause<unknown>): Effect.Effect<void> =>
    Effect.suspend(() => {
      p.ledger.restarts++
      // the last death: the fallback starts now (later calls write synchronously)
      if (p.ledger.restarts > options.maxRestarts) p.state.mode = "sync"
      p.ledger.lostInFlight("worker failure")
      // a new instance before anyone learns of the death (a released flush may log at once)
      return Effect.andThen(p.runner.rebuild(), Effect.sync(() =>
        p.batcher.releaseBarriers((f) => {
          p.state.pendingFlushes.delete(f)
          f()
        })
      ))
    })
  const once = Effect.catchCause(drain, (cause) =>
    Cause.hasInterruptsOnly(cause) ? Effect.failCause(cause) : Effect.andThen(died(cause), Effect.fail(cause)))
  const restarted = Effect.retry(once, {
    schedule: Schedule.exponential(Duration.fromInputUnsafe(options.restartBase)),
    times: options.maxRestarts
  })
  return Effect.catchCause(restarted, (cause) => {
    if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
    return Effect.sync(() => {
      p.state.mode = "sync"
      const last = Cause.squash(cause)
      p.reporter.once(
        `effect-fapilog: worker of logger "${options.name}" died ${options.maxRestarts + 1} times; ` +
          `falling back to synchronous writes through its rebuilt pipeline. Last failure: ` +
          `${Cause.isCause(last) ? Cause.pretty(last) : String(last)}\n`
      )
      while (p.q.size > 0) p.sync.writeUnsafe(p.q.take(p.batcher.batchSize))
    })
  })
}

/**
 * Start and release. Async mode forks the draining fiber into the scope at once (it waits for
 * the first event; the pipeline instance is built at the first drive). Release ends the queue,
 * waits (up to `drainTimeout`) for the fiber to drain it through the pipeline and for the sinks
 * to reach the OS, counts what the timeout cut off, then ends a synchronous pipeline (sync mode
 * or after the fallback) so that its stages emit what they hold. A `process.once("exit")` hook
 * writes what is still queued, synchronously, until release removes it.
 */
export const lifecycle = (options: Options, p: Parts): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function*() {
    let removeExitHook = () => {}
    p.state.armExit = () => {
      p.state.armExit = undefined
      removeExitHook = (options.exitHooks ?? new ExitHooks()).register(() => atExit(options, p))
    }
    if (options.mode === "async") {
      p.state.fiber = yield* Effect.forkScoped(Effect.andThen(p.q.awaitAtLeast(1), supervise(options, p)))
    }
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        p.state.armExit = undefined
        removeExitHook()
        p.q.end()
        const fiber = p.state.fiber
        if (fiber !== undefined) {
          const result = yield* Effect.timeoutOption(Effect.andThen(Fiber.await(fiber), p.delivery.flush), options.drainTimeout)
          if (Option.isNone(result)) {
            yield* Fiber.interrupt(fiber)
            reportDrainTimeout(options, p)
          }
        }
        if (p.state.mode === "sync") {
          p.sync.finishUnsafe()
          yield* p.delivery.flush
        }
        // nothing can wait for a barrier of a closed logger
        for (const f of p.state.pendingFlushes) f()
        p.state.pendingFlushes.clear()
        const summary = p.ledger.summaryDue(p.clock.currentTimeMillisUnsafe(), 0)
        if (summary !== undefined) p.delivery.writeUnsafe(p.makeBatch([summary]), 1)
        yield* p.publish
      })
    )
  })

const reportDrainTimeout = (options: Options, p: Parts): void => {
  const queued = p.q.ordinary
  p.ledger.drop("drain timeout", queued)
  // what the worker had taken but not delivered when it was stopped
  const inFlight = p.ledger.lostInFlight("drain timeout")
  const after = `effect-fapilog: draining logger "${options.name}" timed out after ` +
    Duration.format(Duration.fromInputUnsafe(options.drainTimeout))
  process.stderr.write(
    queued + inFlight > 0
      ? `${after}; ${queued + inFlight} events lost (${queued} queued, ${inFlight} in flight)\n`
      : `${after} waiting for its sinks to flush; what they still hold is reported by each sink\n`
  )
}

/**
 * The process is exiting (`process.exit`, or the event loop ran dry): no fiber will run again.
 * What is queued goes through the same pipeline, synchronously, to every sink that can write
 * synchronously; what the others (OTLP, syslog) did not get is reported on stderr, one line.
 */
const atExit = (options: Options, p: Parts): void => {
  const queued = p.q.take(p.q.size)
  p.batcher.taken(queued)
  let toSyncSinks = 0
  let synchronousSinks = false
  const consume: Consume = (chunk) =>
    Effect.sync(() => {
      const { events, synthetic } = p.consumers.split(chunk)
      if (events === undefined) return
      toSyncSinks += events.length
      synchronousSinks = p.delivery.writeExitUnsafe(p.makeBatch(events), synthetic)
    })
  const outcome = p.runner.driveAtExitUnsafe(queued, consume)
  p.delivery.flushExitUnsafe()
  const lost = outcome._tag === "Done" ? 0 : p.ledger.lostInFlight("process exit")
  const missed = p.delivery.asyncOnly
  if (lost > 0 || (toSyncSinks > 0 && (missed.length > 0 || !synchronousSinks))) {
    process.stderr.write(
      `effect-fapilog: process exiting: logger "${options.name}" ` +
        (lost > 0 ? `lost ${lost} events still inside its pipeline; ` : "") +
        (missed.length > 0 && toSyncSinks > 0 ? `${toSyncSinks} lines not sent to ${missed.join(", ")} (cannot write synchronously)` : "") +
        "\n"
    )
  }
}
