/**
 * The source end of the pipeline runner (`engine/runner.ts`): the buffer that drives append to,
 * the pull the pipeline's first stage reads, and the end markers that tell a drive when all its
 * events have come out.
 *
 * Callers: the runner only — {@link Feed.append} once per drive, {@link Feed.emerged} on every
 * chunk that comes out of the pipeline, {@link Feed.reset} when the instance is rebuilt; the
 * pipeline's first stage pulls {@link Feed.source}. The runner sets `ended` (finish) and
 * `synchronous` (around a synchronous drive).
 *
 * Must never: hand the pipeline an empty chunk, or wait for more events during a synchronous drive
 * (a pull past the end marker then fails with {@link PulledPastMarker} instead of suspending).
 *
 * Invariant: `fed − out` markers are inside the pipeline (in the buffer or held by a stage); a
 * marker is never handed to a consumer.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import type { LogEvent } from "../../LogEvent.ts"
import * as Event from "../event.ts"

/** A non-empty chunk of events, as pulled from a stream. */
export type Chunk = readonly [LogEvent, ...Array<LogEvent>]

/** Raised inside a synchronous drive when a stage pulls past the end marker. */
export class PulledPastMarker extends Error {
  constructor() {
    super("a pipeline stage asked for more events than a synchronous call has (it waits for input to group or delay it)")
  }
}

/**
 * `chunk` without the occurrences of `marker` (the chunk itself when it has none). The usual
 * case — one marker, at the end, since stages forward it in order — is a `slice`, not a `filter`
 * with a callback (the filter was ~1% of a `basic` run's CPU profile).
 */
const without = (chunk: Chunk, marker: LogEvent): ReadonlyArray<LogEvent> => {
  let count = 0
  for (let i = 0; i < chunk.length; i++) if (chunk[i] === marker) count++
  if (count === 0) return chunk
  if (count === 1 && chunk[chunk.length - 1] === marker) return chunk.slice(0, chunk.length - 1)
  return chunk.filter((e) => e !== marker)
}

export class Feed {
  private buffer: Array<LogEvent> = []
  /** The end marker: a `DriveEnd` control event, which every stage forwards in order and none acts on. */
  private readonly marker: LogEvent
  private fed = 0
  private out = 0
  /** The source has ended (`finish`): the pipeline completes once the buffer is empty. */
  ended = false
  /** A synchronous drive is under way: the source must not wait for `more`. */
  synchronous = false
  /** What the pipeline's first stage pulls. */
  readonly source: Effect.Effect<Chunk, Cause.Done>

  /** `more`: where the draining fiber gets more when a stage pulls past the marker of an async drive. */
  constructor(more: Effect.Effect<ReadonlyArray<LogEvent> | undefined>) {
    this.marker = new Event.Record(0, "Info", "", "", undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, { _tag: "DriveEnd" }, undefined)
    this.source = Effect.suspend(() => {
      const buffered = this.buffer
      if (buffered.length > 0) {
        this.buffer = []
        return Effect.succeed(buffered as unknown as Chunk)
      }
      if (this.ended) return Cause.done()
      if (this.synchronous) return Effect.die(new PulledPastMarker())
      return Effect.flatMap(more, (chunk) => {
        if (chunk === undefined || chunk.length === 0) return Cause.done()
        this.fed++
        return Effect.succeed([...chunk, this.marker] as unknown as Chunk)
      })
    })
  }

  /** Whether nothing waits in the buffer. */
  get isEmpty(): boolean {
    return this.buffer.length === 0
  }

  /** Whether every marker fed has come out (and the source is not ending: then the drive pulls to the end). */
  get drained(): boolean {
    return this.out >= this.fed && !this.ended
  }

  /**
   * Appends `events` and one end marker to the buffer. The feed takes ownership of `events`
   * (every caller hands over a fresh array: a batch taken from the queue, `[event]`): when the
   * buffer is empty the array itself becomes the buffer, instead of being copied event by event
   * (the copy was ~1.5% of a `basic` run's CPU profile, about a tenth of the engine's cost).
   */
  append(events: ReadonlyArray<LogEvent>): void {
    if (this.buffer.length === 0) {
      const owned = events as Array<LogEvent>
      owned.push(this.marker)
      this.buffer = owned
    } else {
      for (let i = 0; i < events.length; i++) this.buffer.push(events[i]!)
      this.buffer.push(this.marker)
    }
    this.fed++
  }

  /** A chunk that came out of the pipeline, without its markers (which are counted out). */
  emerged(chunk: Chunk): ReadonlyArray<LogEvent> {
    const events = without(chunk, this.marker)
    this.out += chunk.length - events.length
    return events
  }

  /** Forgets the buffer and the markers (the instance they were fed to is discarded). */
  reset(): void {
    this.buffer = []
    this.fed = this.out = 0
    this.synchronous = false
  }
}
