/**
 * The pipeline runner: ONE instance of the user's pipeline per worker, for the worker's life.
 *
 * Every mode of the engine is a *drive* of the same pull (`Stream.toPull` of
 * `pipeline(source)`, kept in a scope forked from the worker's):
 *
 * - the draining fiber drives it per batch ({@link Runner.drive}), as an effect that may suspend
 *   (sink writes, retries);
 * - a caller that cannot wait (sync mode, the `block` policy's inline write, the fallback after
 *   restarts, the process's `exit` event) drives it synchronously ({@link Runner.driveUnsafe}).
 *
 * A drive appends its events and one end marker (a `DriveEnd` control event, which every stage
 * forwards in order and none acts on) to the source buffer (`engine/feed.ts`), then
 * pulls until every marker fed so far has come out at the end of the pipeline. So stateful stages
 * (aggregation, burst, tail, adaptive sampling) keep their state across drives and modes.
 *
 * Who calls it: the worker only (`Worker.ts` builds one per engine; the consumers and the
 * lifecycle drive it); `finish` once, at release.
 * Must never: run two drives at once (a pull is not re-entrant: `busy` guards it, and a caller
 * that finds it busy queues instead), or let a synchronous drive suspend on the source (a stage
 * that pulls past the end marker during a synchronous drive fails the drive instead of waiting).
 * Invariant: when a drive ends, every event it fed has come out of the pipeline (handed to
 * `consume`) or was reported to `Pipeline.Counters` by a stage (dropped or absorbed).
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Pull from "effect/Pull"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { LogEvent } from "../../LogEvent.ts"
import type { Pipeline } from "../../Pipeline.ts"
import { type Chunk, Feed } from "./feed.ts"

/** What a drive does with each chunk that comes out of the pipeline (markers removed). */
export type Consume = (events: ReadonlyArray<LogEvent>) => Effect.Effect<void>

/** The outcome of a synchronous drive. */
export type SyncOutcome =
  | { readonly _tag: "Done" }
  | { readonly _tag: "Busy" }
  /** A stage suspended: the drive goes on on its own fiber and ends when that fiber does. */
  | { readonly _tag: "Async" }
  | { readonly _tag: "Failed"; readonly cause: Cause.Cause<unknown> }

/** One instance of the pipeline: its pull, and the scope its stages live in. */
interface Instance {
  readonly pull: Effect.Effect<Chunk, unknown>
  readonly scope: Scope.Closeable
}

/** Builds an instance of `pipeline` over `source` in a scope forked from `parent`. */
const instantiate = (pipeline: Pipeline, context: Context.Context<never>, parent: Scope.Scope, source: Effect.Effect<Chunk, Cause.Done>): Instance => {
  const scope = Scope.forkUnsafe(parent)
  const pull = Effect.runSyncWith(context)(Scope.provide(Stream.toPull(pipeline(Stream.fromPull(Effect.succeed(source)))), scope))
  return { pull: pull as Effect.Effect<Chunk, unknown>, scope }
}

/** The fiber a synchronous run left going on, when a step suspended. */
const asyncFiberOf = (exit: Exit.Exit<unknown, unknown>): Fiber.Fiber<unknown, unknown> | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  for (const reason of exit.cause.reasons) {
    if (reason._tag === "Die" && Cause.isAsyncFiberError(reason.defect)) return reason.defect.fiber
  }
  return undefined
}

const done: SyncOutcome = { _tag: "Done" }
const busy: SyncOutcome = { _tag: "Busy" }
const wentAsync: SyncOutcome = { _tag: "Async" }

export class Runner {
  private readonly pipeline: Pipeline
  private readonly context: Context.Context<never>
  private readonly scope: Scope.Scope
  /** The source end: the buffer drives append to, and the end markers. */
  private readonly feed: Feed
  private instance: Instance | undefined
  /** Whether a drive is under way (the pull is not re-entrant). */
  busy = false
  /** Whether the pull itself is being evaluated (not merely a drive consuming its output). */
  private inPull = false
  /**
   * The drive loop of the current instance for one consumer, built once and run by every drive
   * (effects are descriptions): a drive built ~6 effects and closures per batch (+3% events/s at batch size 16, test/.tmp/abx.sh with BATCH=16; within noise at 256)
   */
  private loopCache: { readonly instance: Instance; readonly consume: Consume; readonly loop: Effect.Effect<void, unknown> } | undefined
  /** Run when a drive ends, however it ends: the pull is free again. */
  private readonly idle: Effect.Effect<void> = Effect.sync(() => {
    this.busy = false
  })

  /** `more`: where the draining fiber gets more when a stage pulls past the marker of an async drive. */
  constructor(
    pipeline: Pipeline,
    context: Context.Context<never>,
    scope: Scope.Scope,
    more: Effect.Effect<ReadonlyArray<LogEvent> | undefined>
  ) {
    this.pipeline = pipeline
    this.context = context
    this.scope = scope
    this.feed = new Feed(more)
  }

  /** Discards a dead instance (its stages' state with it); the next drive builds a new one. */
  rebuild(): Effect.Effect<void> {
    return Effect.suspend(() => {
      const old = this.instance
      this.instance = undefined
      this.loopCache = undefined
      this.feed.reset()
      this.busy = false
      return old === undefined ? Effect.void : Scope.close(old.scope, Exit.void)
    })
  }

  /**
   * Pulls until every marker fed has come out (or the pipeline ended), consuming each chunk. The
   * first drive, and the first after a rebuild, builds the pipeline instance.
   */
  private loop(consume: Consume): Effect.Effect<void, unknown> {
    const instance = this.instance ??= instantiate(this.pipeline, this.context, this.scope, this.feed.source)
    const cached = this.loopCache
    if (cached !== undefined && cached.instance === instance && cached.consume === consume) return cached.loop
    const { pull } = instance
    const feed = this.feed
    const pulling = Effect.suspend(() => {
      this.inPull = true
      return pull
    })
    const step: Effect.Effect<void, unknown> = Effect.catchCause(
      Effect.flatMap(pulling, (chunk) => {
        this.inPull = false
        const events = feed.emerged(chunk)
        const next = feed.drained ? Effect.void : step
        return events.length === 0 ? next : Effect.andThen(consume(events), next)
      }),
      (cause) => {
        this.inPull = false
        return Pull.isDoneCause(cause) ? Effect.void : Effect.failCause(cause)
      }
    )
    const loop = Effect.ensuring(step, this.idle)
    this.loopCache = { instance, consume, loop }
    return loop
  }

  /**
   * An asynchronous drive of `events` (the draining fiber's). Fails if the pipeline dies. The
   * runner takes ownership of `events` (see {@link Feed.append}).
   */
  drive(events: ReadonlyArray<LogEvent>, consume: Consume): Effect.Effect<void, unknown> {
    return Effect.suspend(() => {
      this.busy = true
      this.feed.append(events)
      return this.loop(consume)
    })
  }

  /** Ends the source: the pipeline emits what its stages hold, then completes. */
  finish(consume: Consume): Effect.Effect<void, unknown> {
    return Effect.suspend(() => {
      if (this.instance === undefined && this.feed.isEmpty) return Effect.void
      this.feed.ended = true
      this.busy = true
      return this.loop(consume)
    })
  }

  /** {@link finish}, synchronously (sync mode's release, the process's `exit`). */
  finishUnsafe(consume: Consume): SyncOutcome {
    if (this.busy) return busy
    return this.runUnsafe(this.finish(consume))
  }

  /**
   * A synchronous drive: the events come out of the pipeline and are consumed before it
   * returns, unless a stage suspends (then the drive goes on asynchronously: `Async`).
   */
  driveUnsafe(events: ReadonlyArray<LogEvent>, consume: Consume): SyncOutcome {
    if (this.busy) {
      // behind a synchronous drive that went on asynchronously: it takes these too, in order
      if (this.feed.synchronous) this.feed.append(events)
      return busy
    }
    return this.runUnsafe(this.drive(events, consume), true)
  }

  /**
   * At the process's `exit` (no fiber will ever run again): a drive under way that is only
   * waiting for a sink (not inside the pull) is abandoned and its remaining output drained
   * synchronously with `events`, in order. Inside the pull, nothing can be done: `Busy`.
   */
  driveAtExitUnsafe(events: ReadonlyArray<LogEvent>, consume: Consume): SyncOutcome {
    if (this.inPull) return busy
    this.busy = false
    const outcome = this.driveUnsafe(events, consume)
    return outcome._tag === "Done" ? this.finishUnsafe(consume) : outcome
  }

  private runUnsafe(effect: Effect.Effect<void, unknown>, synchronous = false): SyncOutcome {
    this.feed.synchronous = synchronous
    this.busy = true
    const exit = Effect.runSyncExitWith(this.context)(effect)
    const fiber = asyncFiberOf(exit)
    if (fiber !== undefined) {
      // the fiber goes on (on microtasks), still a synchronous drive; the pull is busy until it ends
      fiber.addObserver(() => {
        this.busy = false
        this.feed.synchronous = false
      })
      return wentAsync
    }
    this.feed.synchronous = false
    this.busy = false
    if (Exit.isSuccess(exit)) return done
    return { _tag: "Failed", cause: exit.cause }
  }
}
