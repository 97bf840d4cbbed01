/**
 * The worker's bounded event queue.
 *
 * Why not `effect/Queue`: the drop policies must never evict a control event (a flush barrier
 * evicted by a sliding queue would make `flush` wait forever), `dropOldest` must count what it
 * evicts, and the batcher needs to wait for "at least n events, a control event, or the end"
 * without taking them. Capacity therefore counts ordinary events only; control events always get
 * in. Waiting is done with `Effect.callback`: an idle worker is a suspended fiber, nothing polls.
 *
 * Callers: the offer path (`engine/offers.ts`: `isFull`, `push`, `dropOldest`, `awaitRoom`), the
 * draining fiber (`engine/batching.ts`: `awaitAtLeast`, then `take`), the lifecycle (`end`, once).
 * Must never: evict or refuse a control event, wake the draining fiber synchronously inside the
 * logging call that pushed (wake-ups go through the scheduler), or hold a taken event (the
 * storage is an `internal/ring.ts` ring, whose taken slots are cleared).
 * Invariant: `ordinary` and `flushes` count exactly the ordinary events and the flush barriers in
 * the ring; at most one taker (the draining fiber) waits at a time.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { LogEvent } from "../LogEvent.ts"
import { Ring } from "./ring.ts"

const isOrdinary = (event: LogEvent): boolean => event.control === undefined

export class EventQueue {
  readonly capacity: number
  /** ordinary (non-control) events currently queued */
  ordinary = 0
  /** flush barriers currently queued */
  flushes = 0
  ended = false
  private readonly ring: Ring<LogEvent>
  private taker: (() => void) | undefined = undefined
  private want = 1
  private putters: Array<() => void> = []

  constructor(capacity: number) {
    this.capacity = capacity
    // grown on demand up to what is queued, so a huge capacity costs nothing until it is used
    this.ring = new Ring(Math.min(capacity, 1024))
  }

  get size(): number {
    return this.ring.size
  }

  /** Whether a caller is suspended waiting for room (policy `block`). */
  get hasWaiters(): boolean {
    return this.putters.length > 0
  }

  isFull(): boolean {
    return this.ordinary >= this.capacity
  }

  /** Appends unconditionally (the caller has applied the policy). */
  push(event: LogEvent): void {
    this.ring.push(event)
    if (event.control === undefined) this.ordinary++
    else if (event.control._tag === "Flush") this.flushes++
    const taker = this.taker
    // a flush barrier must not wait for the batch to fill; other control events batch like events
    if (taker !== undefined && (this.size >= this.want || event.control?._tag === "Flush")) {
      this.taker = undefined
      taker()
    }
  }

  /** Removes the oldest ordinary event; returns whether one was removed. */
  dropOldest(): boolean {
    if (!this.ring.removeFirst(isOrdinary)) return false
    this.ordinary--
    return true
  }

  take(max: number): Array<LogEvent> {
    const n = Math.min(max, this.size)
    if (n === 0) return []
    const out = this.ring.take(n)
    for (let i = 0; i < n; i++) {
      const control = out[i]!.control
      if (control === undefined) this.ordinary--
      else if (control._tag === "Flush") this.flushes--
    }
    this.wakePutters()
    return out
  }

  end(): void {
    this.ended = true
    const taker = this.taker
    this.taker = undefined
    if (taker !== undefined) taker()
    this.wakePutters()
  }

  /** Suspends until at least `n` events are queued, a flush barrier arrives, or the queue ends. */
  awaitAtLeast(n: number): Effect.Effect<void> {
    return Effect.withFiber((fiber) =>
      Effect.callback<void>((resume) => {
        if (this.size >= n || this.ended) return resume(Effect.void)
        this.want = n
        // resumed through the scheduler: resuming directly would run the worker's whole batch
        // synchronously inside the logging call that pushed the event
        this.taker = () => fiber.currentDispatcher.scheduleTask(() => resume(Effect.void), 0)
        return Effect.sync(() => {
          this.taker = undefined
        })
      })
    )
  }

  /** Suspends until an ordinary event fits (for the `block` policy). */
  awaitRoom(): Effect.Effect<void> {
    return Effect.withFiber((fiber) =>
      Effect.callback<void>((resume) => {
        if (!this.isFull() || this.ended) return resume(Effect.void)
        // through the scheduler, so that the blocked caller does not run inside the worker's take
        const wake = () => fiber.currentDispatcher.scheduleTask(() => resume(Effect.void), 0)
        this.putters.push(wake)
        return Effect.sync(() => {
          const i = this.putters.indexOf(wake)
          if (i >= 0) this.putters.splice(i, 1)
        })
      })
    )
  }

  private wakePutters(): void {
    if (this.putters.length === 0) return
    let room = this.ended ? this.putters.length : this.capacity - this.ordinary
    while (room > 0 && this.putters.length > 0) {
      this.putters.shift()!()
      room--
    }
  }
}
