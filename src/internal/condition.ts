/**
 * Waiting for a condition on a sink's mutable state ("nothing in flight", "room in the buffer",
 * "work to do"): an Effect `Latch` kept open exactly while the condition holds.
 *
 * Who uses it: the write-behind file buffer, the OTLP export loop and the syslog connection,
 * whose state is changed by Node callbacks (a write completed, a socket drained), outside any
 * fiber. Their waiters are fibers (`flush`, a `write` waiting for room, the export fiber).
 *
 * Contract: the owner calls `update()` after every change of the state the condition reads;
 * `await` then completes as soon as the condition holds (at once if it holds already). A waiter
 * resumed by a transition may find the condition false again when it runs (new work arrived):
 * callers that need the condition itself, not the transition, re-check it.
 *
 * Gotcha: `update()` that opens the latch may run a waiting fiber before it returns (Effect
 * resumes a latch's waiters synchronously), and that fiber runs until it waits again. Call it
 * last: after the state change is complete and any I/O it should start is under way (the file
 * sink started its next write after `update()`, so encoding and writing took turns; see
 * `WriteBehind.next`).
 *
 * @internal
 */
import type * as Effect from "effect/Effect"
import * as Latch from "effect/Latch"

/** @internal */
export class Condition {
  readonly #holds: () => boolean
  readonly #latch: Latch.Latch
  /** Completes once the condition holds. */
  readonly await: Effect.Effect<void>

  constructor(holds: () => boolean, initially: boolean) {
    this.#holds = holds
    this.#latch = Latch.makeUnsafe(initially)
    this.await = this.#latch.await
  }

  /** Re-reads the condition: opens (waking every waiter) or closes the latch. */
  update(): void {
    if (this.#holds()) this.#latch.openUnsafe()
    else this.#latch.closeUnsafe()
  }
}
