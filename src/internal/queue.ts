/**
 * The worker's bounded event queue.
 *
 * Why not `effect/Queue`: the drop policies must never evict a control event (a flush barrier
 * evicted by a sliding queue would make `flush` wait forever), `dropOldest` must count what it
 * evicts, and the batcher needs to wait for "at least n events, a control event, or the end"
 * without taking them. Capacity therefore counts ordinary events only; control events always get
 * in. Waiting is done with `Effect.callback`: an idle worker is a suspended fiber, nothing polls.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { LogEvent } from "../LogEvent.ts"

export class EventQueue {
  readonly capacity: number
  /** ordinary (non-control) events currently queued */
  ordinary = 0
  /** flush barriers currently queued */
  flushes = 0
  ended = false
  /**
   * A ring (length a power of two) whose taken slots are cleared at once. A long-lived array that
   * still points at taken events keeps them alive through every young-generation collection, so
   * they get promoted and pile up in the old generation until a full collection (that was most of
   * the peak RSS under a burst).
   */
  private ring: Array<LogEvent | undefined>
  private head = 0
  private count = 0
  private taker: (() => void) | undefined = undefined
  private want = 1
  private putters: Array<() => void> = []

  constructor(capacity: number) {
    this.capacity = capacity
    // grown on demand up to what is queued, so a huge capacity costs nothing until it is used
    this.ring = new Array(ringLength(Math.min(capacity, 1024)))
  }

  get size(): number {
    return this.count
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
    if (this.count === this.ring.length) this.grow()
    this.ring[(this.head + this.count) & (this.ring.length - 1)] = event
    this.count++
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
    const ring = this.ring
    const mask = ring.length - 1
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) & mask
      if (ring[i]!.control === undefined) {
        // close the gap by moving the control events queued before it one slot forward
        for (let j = k; j > 0; j--) ring[(this.head + j) & mask] = ring[(this.head + j - 1) & mask]
        ring[this.head] = undefined
        this.head = (this.head + 1) & mask
        this.count--
        this.ordinary--
        return true
      }
    }
    return false
  }

  take(max: number): Array<LogEvent> {
    const n = Math.min(max, this.count)
    if (n === 0) return []
    const ring = this.ring
    const mask = ring.length - 1
    const out = new Array<LogEvent>(n)
    let h = this.head
    for (let i = 0; i < n; i++) {
      const event = ring[h]!
      ring[h] = undefined
      h = (h + 1) & mask
      out[i] = event
      const control = event.control
      if (control === undefined) this.ordinary--
      else if (control._tag === "Flush") this.flushes--
    }
    this.head = h
    this.count -= n
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

  private grow(): void {
    const ring = this.ring
    const mask = ring.length - 1
    const next = new Array<LogEvent | undefined>(ring.length * 2)
    for (let i = 0; i < this.count; i++) next[i] = ring[(this.head + i) & mask]
    this.ring = next
    this.head = 0
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

/** The smallest power of two ≥ `n` (at least 16). */
const ringLength = (n: number): number => {
  let length = 16
  while (length < n) length *= 2
  return length
}
