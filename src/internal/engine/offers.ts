/**
 * The offer paths of a worker: the hot path (`offerUnsafe`, called by Effect's logger for every
 * `Effect.log`), effects that act when run (`offer`, `offerAll`), control events and `flush`.
 *
 * Who calls it: facades and the root logger, any time; the worker's composition builds it once.
 * Must never: do more than a few field checks and a push on the hot path (no allocation beyond
 * the queue's), act when an effect is built rather than run, or reorder a caller's events (an
 * inline write under `block` takes the whole queue first, and only while no batch is in the
 * pipeline).
 * Invariant: every call counts its event in `eventsIn` once, and the event is then queued,
 * written through the pipeline, or dropped and counted by reason.
 *
 * @internal
 */
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type { LogEvent } from "../../LogEvent.ts"
import type { Options } from "../../Worker.ts"
import type { EventQueue } from "../queue.ts"
import type { Ledger } from "./accounting.ts"
import type { SyncPath } from "./consumers.ts"
import type { Reporter } from "./delivery.ts"
import type { State } from "./lifecycle.ts"

/** The offer paths: the hot path (`offerUnsafe`), effects that act when run, control events, flush. */
export const makeOffers = (
  options: Options,
  q: EventQueue,
  ledger: Ledger,
  state: State,
  sync: SyncPath,
  reporter: Reporter,
  clock: Clock.Clock,
  flushMarker: (done: () => void, timestamp: number) => LogEvent
) => {
  const released = () => {
    ledger.drop("logger released", 1)
    reporter.once(
      `effect-fapilog: logger "${options.name}" was used after it was released (scope closed, cache ` +
        `cleared or idle TTL); its events are dropped and counted. Look the logger up again instead of keeping it.\n`
    )
  }
  const runnerBusy = sync.busy
  const offerUnsafe = (event: LogEvent): void => {
    ledger.eventsIn++
    if (state.armExit !== undefined) state.armExit()
    if (state.mode === "sync") return sync.writeUnsafe([event])
    if (q.ended) return released()
    if (q.ordinary >= options.capacity) {
      switch (options.policy) {
        case "dropNewest":
          return ledger.drop("queue full", 1)
        case "dropOldest":
          if (q.dropOldest()) ledger.drop("queue full", 1)
          break
        case "block": {
          // Effect.log cannot suspend. While the worker drives a batch through the pipeline,
          // the pipeline is taken: queue past capacity (bounded by what this fiber logs before
          // the scheduler runs the worker again). Otherwise write what is queued and this event
          // through the same pipeline, synchronously, in order, as one batch
          if (runnerBusy()) break
          const queued = q.take(q.size)
          queued.push(event)
          return sync.writeUnsafe(queued)
        }
      }
    }
    q.push(event)
  }

  const offerBlocking = (event: LogEvent): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (q.ended) return Effect.sync(released)
      if (state.mode === "sync") return Effect.sync(() => sync.writeUnsafe([event]))
      if (q.ordinary < options.capacity) {
        q.push(event)
        return Effect.void
      }
      return Effect.andThen(q.awaitRoom(), offerBlocking(event))
    })

  /**
   * Offers at once, from inside an effect that is already running (a facade's `Effect.withFiber`):
   * `Effect.void`, or under `block` with a full queue the effect that waits for room. The facades'
   * hot path: one effect fewer per call than `offer` (the facade benchmark lost ~23% to it).
   */
  const offerNowUnsafe = (event: LogEvent): Effect.Effect<void> => {
    if (options.policy === "block" && state.mode === "async" && q.ordinary >= options.capacity) {
      ledger.eventsIn++
      return offerBlocking(event)
    }
    offerUnsafe(event)
    return Effect.void
  }

  // effects act when run, not when built
  const offer = (event: LogEvent): Effect.Effect<void> => Effect.suspend(() => offerNowUnsafe(event))

  const offerAll = (events: ReadonlyArray<LogEvent>): Effect.Effect<void> =>
    options.policy === "block"
      ? Effect.forEach(events, offer, { discard: true })
      : Effect.sync(() => {
        for (let i = 0; i < events.length; i++) offerUnsafe(events[i]!)
      })

  const signalUnsafe = (event: LogEvent): void => {
    if (state.mode === "sync") return sync.writeUnsafe([event])
    q.push(event)
  }

  const flush: Effect.Effect<void> = Effect.suspend(() => {
    const start = clock.currentTimeMillisUnsafe()
    const done = () => {
      ledger.flushes++
      ledger.lastFlushMillis = clock.currentTimeMillisUnsafe() - start
    }
    if (state.mode === "sync") {
      // the barrier makes the stages emit what they hold (aggregates); then sinks reach the OS
      sync.writeUnsafe([flushMarker(() => {}, start)])
      return Effect.andThen(sync.flushSinks, Effect.sync(done))
    }
    if (q.ended) return Effect.void
    return Effect.callback<void>((resume) => {
      const f = () => {
        done()
        resume(Effect.void)
      }
      state.pendingFlushes.add(f)
      q.push(flushMarker(f, start))
    })
  })

  return { offerUnsafe, offerNowUnsafe, offer, offerAll, signalUnsafe, flush }
}
