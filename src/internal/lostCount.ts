/**
 * What a sink lost since the engine last asked (not API): the count behind a writer's
 * `takeLost` (`Sink.Writer`).
 *
 * Callers: the sink's own callbacks and loops `add` as they drop (overflow, a failed send,
 * exhausted retries); the engine's delivery calls `take` after each batch and at flush; the
 * sink's close reads `count` for its report.
 *
 * Must never: report a loss twice, or forget one (`take` returns and clears in one step).
 *
 * Invariant: `count` is the sum of what was added since the last `take`.
 *
 * @internal
 */
export class LostCount {
  private n = 0

  /** Counts `n` more lost events. */
  add(n: number): void {
    this.n += n
  }

  /** Lost since the last `take`. */
  get count(): number {
    return this.n
  }

  /** Returns the count and starts again from 0 (a bound function: hand it over as `takeLost`). */
  readonly take = (): number => {
    const n = this.n
    this.n = 0
    return n
  }
}
