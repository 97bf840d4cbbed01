/**
 * The accounting of one worker: where every event went.
 *
 * Invariant (checked by the property test in `test/Engine.test.ts`): every event offered is,
 * once the worker is drained, exactly one of
 * - written: at least one sink got it (`delivered(n, true)`);
 * - dropped, counted by reason (`drop`): queue full, sampled out (by a stage, through
 *   `Pipeline.Counters`), sink failure (no sink got it), worker failure, drain timeout, …;
 * - absorbed into an aggregate (a stage's `Counters.absorbed`, every occurrence it holds, the
 *   first included), the aggregate line itself being written or counted like any line.
 * Aggregate lines and drop summaries are `synthetic`: they stand for no further offered event (a
 * lost one is a sink error only).
 * So `eventsIn == written - synthetic + dropped + absorbed` and `dropRate <= 1`.
 *
 * A sink that fails while another sink got the batch is that sink's failure (its error count
 * and `sinkFailedEvents`), not a drop: the events were written.
 *
 * Who calls it: the worker's offer paths (`eventsIn`, queue drops), delivery (`delivered`,
 * `sinkFailed`, `sinkLost`), supervision (`lostInFlight`). Must never do I/O or allocate per
 * event on the hot path (plain number fields).
 *
 * @internal
 */
import type { LogEvent } from "../../LogEvent.ts"
import * as Event from "../event.ts"

/** Reasons that mean an event was lost, not removed on purpose; they trigger the WARN summary. */
export const lossReasons: ReadonlySet<string> = new Set(["queue full", "sink failure", "worker failure", "drain timeout", "logger released", "process exit", "encode failure"])

export interface SinkState {
  errors: number
  failedEvents: number
  failedReported: number
  failing: boolean
  lastFailureAt: number
  lastError: string | undefined
}

export class Ledger {
  readonly name: string
  eventsIn = 0
  /** lines delivered to at least one sink (events and synthetic lines) */
  written = 0
  /** lines written that stand for no offered event (drop summaries, aggregates) */
  synthetic = 0
  /** ordinary events taken from the queue into the pipeline */
  taken = 0
  /** events taken and found lost in flight (worker failure, drain timeout) */
  lostTaken = 0
  /** events whose batch reached no sink */
  failedAll = 0
  batches = 0
  lastBatchSize = 0
  sinkErrors = 0
  restarts = 0
  flushes = 0
  lastFlushMillis = 0
  readonly dropped: Record<string, number> = {}
  readonly sinks = new Map<string, SinkState>()
  lastLossAt = -Infinity
  private lost = 0
  private lostReported = 0
  private sinkErrorsReported = 0
  private lastSummaryAt = -Infinity
  /** What the pipeline's stages counted (see `Pipeline.makeCounters`). */
  pipeline: () => { readonly dropped: Readonly<Record<string, number>>; readonly absorbed: number } = () => ({ dropped: {}, absorbed: 0 })
  now: () => number = () => 0

  constructor(name: string) {
    this.name = name
  }

  drop(reason: string, n: number): void {
    if (n <= 0) return
    this.dropped[reason] = (this.dropped[reason] ?? 0) + n
    if (lossReasons.has(reason)) {
      this.lost += n
      this.lastLossAt = this.now()
    }
  }

  /**
   * A batch of `n` lines, `synthetic` of them standing for no offered event, reached at least one
   * sink (`ok`), or none: then its events are dropped (a lost synthetic line is a sink error only).
   */
  delivered(n: number, synthetic: number, ok: boolean): void {
    this.batches++
    this.lastBatchSize = n
    if (ok) {
      this.written += n
      this.synthetic += synthetic
    } else {
      this.failedAll += n - synthetic
      this.drop("sink failure", n - synthetic)
    }
  }

  /** One sink failed `n` events: its own error, not a drop (see {@link delivered}). */
  sinkFailed(sink: string, n: number, message: string): void {
    const now = this.now()
    this.sinkErrors++
    const h = this.sinkState(sink)
    h.errors++
    h.failedEvents += n
    h.failing = true
    h.lastFailureAt = now
    h.lastError = message
    this.lastLossAt = now
  }

  /**
   * A write-behind sink lost `n` events it had accepted. With one sink that is a loss (the
   * events were counted written); with several, the other sinks may have them: that sink's failure.
   */
  sinkLost(sink: string, n: number, message: string, soleSink: boolean): void {
    this.sinkFailed(sink, n, message)
    if (!soleSink) return
    const n2 = Math.min(n, this.written)
    this.written -= n2
    this.failedAll += n2
    this.drop("sink failure", n2)
  }

  sinkOk(sink: string): void {
    const h = this.sinks.get(sink)
    if (h !== undefined) h.failing = false
  }

  private sinkState(sink: string): SinkState {
    let h = this.sinks.get(sink)
    if (h === undefined) {
      h = { errors: 0, failedEvents: 0, failedReported: 0, failing: false, lastFailureAt: -Infinity, lastError: undefined }
      this.sinks.set(sink, h)
    }
    return h
  }

  /**
   * Events taken from the queue and not yet accounted: between two drives, what the pipeline's
   * stages hold (an open aggregate, a tail buffer).
   */
  held(): number {
    const p = this.pipeline()
    let pipelineDropped = 0
    for (const k in p.dropped) pipelineDropped += p.dropped[k]!
    const accounted = this.written - this.synthetic + this.failedAll + pipelineDropped + p.absorbed + this.lostTaken
    return this.taken - accounted
  }

  /** Events taken from the queue that neither reached a sink nor were accounted by the pipeline. */
  lostInFlight(reason: string): number {
    const lost = this.held()
    if (lost <= 0) return 0
    this.lostTaken += lost
    this.drop(reason, lost)
    return lost
  }

  /**
   * A WARN event summarising losses and sink failures since the last one, if any happened and
   * one is due. A sink's failures of events other sinks got are in `_sink_failures`, not in
   * `_dropped`.
   */
  summaryDue(now: number, every: number): LogEvent | undefined {
    if ((this.lost === this.lostReported && this.sinkErrors === this.sinkErrorsReported) || now - this.lastSummaryAt < every) {
      return undefined
    }
    const n = this.lost - this.lostReported
    this.lostReported = this.lost
    this.sinkErrorsReported = this.sinkErrors
    this.lastSummaryAt = now
    const reasons: Array<string> = []
    for (const k in this.dropped) if (lossReasons.has(k)) reasons.push(`${k}: ${this.dropped[k]}`)
    const failures: Record<string, number> = {}
    const failed: Array<string> = []
    for (const [sink, h] of this.sinks) {
      const d = h.failedEvents - h.failedReported
      h.failedReported = h.failedEvents
      if (d > 0) {
        failures[sink] = d
        failed.push(`${sink}: ${d}`)
      }
    }
    const fields = { _dropped: n, _dropped_total: { ...this.dropped }, _sink_failures: failures }
    const message = n > 0
      ? `dropped ${n} events: ${reasons.join(", ")}`
      : `sink failures (the events reached another sink): ${failed.join(", ")}`
    const u = undefined
    return new Event.Record(now, "Warn", message, this.name, fields, u, u, u, u, u, u, u, u, u)
  }
}
