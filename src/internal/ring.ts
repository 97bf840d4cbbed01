/**
 * A growable FIFO ring (not API): the storage of the worker's event queue.
 *
 * Callers: `internal/queue.ts` only — `push` per offered event, `take` per batch, `removeFirst`
 * when the `dropOldest` policy evicts. The queue keeps the counts and the wake-ups; the ring keeps
 * the order.
 *
 * Must never: hold a taken or removed item (its slot is cleared at once: a long-lived array that
 * still points at taken events keeps them alive through every young-generation collection, so
 * they get promoted and pile up in the old generation until a full collection — that was most of
 * the peak RSS under a burst), or reorder what it keeps.
 *
 * Invariant: the slots array has a power-of-two length; the `size` items from `head` (wrapping)
 * are the queued ones, oldest first, and every other slot is `undefined`.
 *
 * @internal
 */
export class Ring<A> {
  private slots: Array<A | undefined>
  private head = 0
  private count = 0

  /** A ring whose first slots array holds `initial` items (grown on demand). */
  constructor(initial: number) {
    this.slots = new Array(ringLength(initial))
  }

  /** How many items are queued. */
  get size(): number {
    return this.count
  }

  /** Appends `item`, growing the slots when they are full. */
  push(item: A): void {
    if (this.count === this.slots.length) this.grow()
    this.slots[(this.head + this.count) & (this.slots.length - 1)] = item
    this.count++
  }

  /** Removes and returns the `n` oldest items (`n` ≤ `size`), oldest first. */
  take(n: number): Array<A> {
    const slots = this.slots
    const mask = slots.length - 1
    const out = new Array<A>(n)
    let h = this.head
    for (let i = 0; i < n; i++) {
      out[i] = slots[h]!
      slots[h] = undefined
      h = (h + 1) & mask
    }
    this.head = h
    this.count -= n
    return out
  }

  /** Removes the oldest item that satisfies `predicate`; returns whether one was removed. */
  removeFirst(predicate: (item: A) => boolean): boolean {
    const slots = this.slots
    const mask = slots.length - 1
    for (let k = 0; k < this.count; k++) {
      if (predicate(slots[(this.head + k) & mask]!)) {
        // close the gap by moving the items queued before it one slot forward
        for (let j = k; j > 0; j--) slots[(this.head + j) & mask] = slots[(this.head + j - 1) & mask]
        slots[this.head] = undefined
        this.head = (this.head + 1) & mask
        this.count--
        return true
      }
    }
    return false
  }

  private grow(): void {
    const slots = this.slots
    const mask = slots.length - 1
    const next = new Array<A | undefined>(slots.length * 2)
    for (let i = 0; i < this.count; i++) next[i] = slots[(this.head + i) & mask]
    this.slots = next
    this.head = 0
  }
}

/** The smallest power of two ≥ `n` (at least 16). */
const ringLength = (n: number): number => {
  let length = 16
  while (length < n) length *= 2
  return length
}
