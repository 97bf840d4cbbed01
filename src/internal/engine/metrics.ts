/**
 * Read-outs of a worker's {@link Ledger}: the `Snapshot` (with health) and Effect `Metric`s.
 *
 * Who calls it: `Worker.metrics`/`metricsUnsafe` (snapshot, any time) and the worker after each
 * batch and at release (publish). Must never change the ledger (reads only; `publish` keeps its
 * own "already published" marks). Invariant: a published counter never goes down; it receives
 * the ledger's deltas since the previous publish.
 *
 * @internal
 */
import type * as Fiber from "effect/Fiber"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import type { Health, Mode, SinkHealth, Snapshot } from "../../Worker.ts"
import type { Ledger } from "./accounting.ts"

const healthRank: Record<Health, number> = { healthy: 0, degraded: 1, failing: 2 }
const healthNames: ReadonlyArray<Health> = ["healthy", "degraded", "failing"]

/** What a snapshot reads beside the ledger. */
export interface View {
  readonly mode: () => Mode
  readonly configuredMode: Mode
  readonly capacity: number
  readonly queueDepth: () => number
  readonly windowMillis: number
  readonly sinkNames: ReadonlyArray<string>
  readonly fiber: () => Fiber.Fiber<unknown, unknown> | undefined
}

export const snapshot = (ledger: Ledger, view: View): Snapshot => {
  const p = ledger.pipeline()
  const dropped: Record<string, number> = { ...ledger.dropped }
  for (const k in p.dropped) dropped[k] = (dropped[k] ?? 0) + p.dropped[k]!
  let droppedTotal = 0
  for (const k in dropped) droppedTotal += dropped[k]!
  const now = ledger.now()
  const sinks: Record<string, SinkHealth> = {}
  const sinkFailedEvents: Record<string, number> = {}
  const depth = view.queueDepth()
  let worst = depth >= view.capacity * 0.8 || now - ledger.lastLossAt < view.windowMillis || view.mode() !== view.configuredMode ? 1 : 0
  for (const name of view.sinkNames) {
    const h = ledger.sinks.get(name)
    const status: Health = h === undefined
      ? "healthy"
      : h.failing
      ? "failing"
      : now - h.lastFailureAt < view.windowMillis
      ? "degraded"
      : "healthy"
    worst = Math.max(worst, healthRank[status])
    sinks[name] = { status, errors: h?.errors ?? 0, lastError: h?.lastError }
    sinkFailedEvents[name] = h?.failedEvents ?? 0
  }
  const fiber = view.fiber()
  return {
    logger: ledger.name,
    mode: view.mode(),
    eventsIn: ledger.eventsIn,
    written: ledger.written,
    dropped,
    droppedTotal,
    absorbed: p.absorbed,
    queueDepth: depth,
    queueCapacity: view.capacity,
    batches: ledger.batches,
    lastBatchSize: ledger.lastBatchSize,
    sinkErrors: ledger.sinkErrors,
    sinkFailedEvents,
    restarts: ledger.restarts,
    flushes: ledger.flushes,
    lastFlushMillis: ledger.lastFlushMillis,
    workerFibers: fiber !== undefined && fiber.pollUnsafe() === undefined ? 1 : 0,
    sinks,
    health: healthNames[worst]!
  }
}

interface WorkerMetrics {
  readonly eventsIn: Metric.Counter<number>
  readonly written: Metric.Counter<number>
  readonly dropped: (reason: string) => Metric.Counter<number>
  readonly sinkErrors: Metric.Counter<number>
  readonly restarts: Metric.Counter<number>
  readonly queueDepth: Metric.Gauge<number>
  readonly batchSize: Metric.Gauge<number>
  readonly flushLatency: Metric.Gauge<number>
}

const metricsFor = (logger: string): WorkerMetrics => {
  const attributes = { logger }
  const dropped = new Map<string, Metric.Counter<number>>()
  return {
    eventsIn: Metric.counter("fapilog_events_in", { attributes, incremental: true }),
    written: Metric.counter("fapilog_events_written", { attributes, incremental: true }),
    dropped: (reason) => {
      let counter = dropped.get(reason)
      if (counter === undefined) {
        counter = Metric.counter("fapilog_events_dropped", { attributes: { logger, reason }, incremental: true })
        dropped.set(reason, counter)
      }
      return counter
    },
    sinkErrors: Metric.counter("fapilog_sink_errors", { attributes, incremental: true }),
    restarts: Metric.counter("fapilog_worker_restarts", { attributes, incremental: true }),
    queueDepth: Metric.gauge("fapilog_queue_depth", { attributes }),
    batchSize: Metric.gauge("fapilog_batch_size", { attributes }),
    flushLatency: Metric.gauge("fapilog_flush_latency_ms", { attributes })
  }
}

/** Publishes a ledger's deltas into Effect `Metric`s (built at the first publish). */
export const makePublisher = (ledger: Ledger, queueDepth: () => number): Effect.Effect<void> => {
  let m: WorkerMetrics | undefined
  const pub = { eventsIn: 0, written: 0, dropped: {} as Record<string, number>, sinkErrors: 0, restarts: 0 }
  return Effect.suspend(() => {
    m ??= metricsFor(ledger.name)
    const metrics = m
    const updates: Array<Effect.Effect<void>> = [
      Metric.update(metrics.queueDepth, queueDepth()),
      Metric.update(metrics.batchSize, ledger.lastBatchSize)
    ]
    const delta = (key: "eventsIn" | "written" | "sinkErrors" | "restarts") => {
      const d = ledger[key] - pub[key]
      pub[key] = ledger[key]
      if (d > 0) updates.push(Metric.update(metrics[key], d))
    }
    delta("eventsIn")
    delta("written")
    delta("sinkErrors")
    delta("restarts")
    const publishDrops = (dropped: Readonly<Record<string, number>>) => {
      for (const reason in dropped) {
        const d = dropped[reason]! - (pub.dropped[reason] ?? 0)
        if (d <= 0) continue
        pub.dropped[reason] = dropped[reason]!
        updates.push(Metric.update(metrics.dropped(reason), d))
      }
    }
    publishDrops(ledger.dropped)
    publishDrops(ledger.pipeline().dropped)
    if (ledger.lastFlushMillis > 0) updates.push(Metric.update(metrics.flushLatency, ledger.lastFlushMillis))
    return Effect.all(updates, { discard: true })
  })
}
