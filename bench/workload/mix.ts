/**
 * A deterministic, realistic log workload for benchmarks and tests: the mix a web service writes.
 *
 * Sources (defaults, all rates per second of simulated time):
 * - `pool` — connection-pool chatter on logger `db.pool` at Debug: background checkouts
 *   logging `"Connection pool size: {size}"` (60/s, no correlation id) plus one
 *   `"Query executed: {table}"` line per query inside each request (with its correlation id;
 *   batch requests run 20–60 queries);
 * - `health` — load-balancer probes on logger `http.health` at Info: `"Health check completed"`
 *   (10/s, no correlation id: probes bypass the request middleware), with a varying `latency_ms`;
 * - `metric` — `"Metric recorded: {name}"` on logger `metrics` at Debug (40/s over 8 names);
 * - `user` — user actions on logger `api` at Info, each carrying `user_id` (1–3 per request,
 *   sometimes a burst of 8 rapid clicks);
 * - `business` — `"order placed"` on logger `orders` with `event_type: "business"` (20% of
 *   requests);
 * - `error` — occasional errors at level Error (`"payment gateway timeout"` in 1% of requests,
 *   `"Connection reset by peer"` in the background at 0.2/s).
 *
 * Requests arrive at `requestsPerSecond` (default 20), each with correlation id `req-<n>`, and
 * last 5–300 ms; when `correlationEnds` is on (default) a `LogEvent.correlationEnd` control event
 * follows each request's last line. Events are returned in timestamp order; timestamps start at
 * `startTime` (default 2024-01-01T00:00:00Z) and advance over `durationMs`. The same options
 * always produce the same events (seeded PRNG, mulberry32).
 *
 * @example
 * ```ts
 * import * as Mix from "./workload/mix.ts" // from bench/
 *
 * const mix = Mix.generate({ seed: 7, durationMs: 10_000 })
 * mix.events.length  // every event, in timestamp order
 * mix.counts.pool    // how many of them are connection-pool chatter
 * ```
 *
 * @since 0.1.0
 */
import * as LogEvent from "../../src/LogEvent.ts"

/**
 * The source of an event. `pool`, `health` and `metric` are the system-log share.
 *
 * @since 0.1.0
 */
export type Category = "pool" | "health" | "metric" | "user" | "business" | "error"

/**
 * Options of {@link generate}; all optional.
 *
 * @since 0.1.0
 */
export interface Options {
  /** PRNG seed (default 1). */
  readonly seed?: number | undefined
  /** Simulated duration in milliseconds (default 60 000). */
  readonly durationMs?: number | undefined
  /** Epoch milliseconds of the first event (default 2024-01-01T00:00:00Z). */
  readonly startTime?: number | undefined
  /** Request arrival rate (default 20/s). */
  readonly requestsPerSecond?: number | undefined
  /** Background pool checkouts per second (default 60). */
  readonly poolPerSecond?: number | undefined
  /** Health probes per second (default 10). */
  readonly healthPerSecond?: number | undefined
  /** Metric emissions per second (default 40). */
  readonly metricsPerSecond?: number | undefined
  /** Append a `CorrelationEnd` control event after each request (default true). */
  readonly correlationEnds?: boolean | undefined
}

/**
 * A generated workload.
 *
 * @since 0.1.0
 */
export interface Mix {
  /** Every event (ordinary and control) in timestamp order. */
  readonly events: ReadonlyArray<LogEvent.LogEvent>
  /** Ordinary events per category (control events are not counted). */
  readonly counts: Readonly<Record<Category, number>>
  /** Number of requests (correlation ids) generated. */
  readonly requests: number
  readonly startTime: number
  readonly endTime: number
}

/**
 * The categories that make up the system-log share.
 *
 * @since 0.1.0
 */
export const systemCategories: ReadonlyArray<Category> = ["pool", "health", "metric"]

/**
 * Generates a workload (see the module documentation for the mix).
 *
 * @since 0.1.0
 */
export const generate = (options?: Options): Mix => {
  const random = mulberry32(options?.seed ?? 1)
  const durationMs = options?.durationMs ?? 60_000
  const startTime = options?.startTime ?? Date.UTC(2024, 0, 1)
  const correlationEnds = options?.correlationEnds ?? true
  const timed: Array<{ readonly at: number; readonly seq: number; readonly event: LogEvent.LogEvent }> = []
  let seq = 0
  const at = (offset: number, input: Omit<LogEvent.Input, "timestamp">): void => {
    if (offset >= durationMs) return
    const timestamp = startTime + Math.floor(offset)
    timed.push({ at: timestamp, seq: seq++, event: LogEvent.make({ ...input, timestamp }) })
  }
  const atControl = (offset: number, correlationId: string): void => {
    const timestamp = startTime + Math.floor(Math.min(offset, durationMs - 1))
    timed.push({ at: timestamp, seq: seq++, event: LogEvent.correlationEnd(correlationId, timestamp) })
  }
  const poisson = (rate: number, each: (offset: number) => void): void => {
    if (rate <= 0) return
    let t = -Math.log(1 - random()) * 1000 / rate
    while (t < durationMs) {
      each(t)
      t += -Math.log(1 - random()) * 1000 / rate
    }
  }
  const pick = <A>(values: ReadonlyArray<A>): A => values[Math.floor(random() * values.length)]!

  // background connection-pool chatter
  poisson(options?.poolPerSecond ?? 60, (t) => {
    const size = 8 + Math.floor(random() * 5)
    at(t, {
      level: "Debug",
      logger: "db.pool",
      message: `Connection pool size: ${size}`,
      template: "Connection pool size: {size}",
      fields: { size, active: Math.floor(random() * size), host: "db-1" }
    })
  })
  // health probes
  poisson(options?.healthPerSecond ?? 10, (t) => {
    at(t, {
      level: "Info",
      logger: "http.health",
      message: "Health check completed",
      fields: { status: "ok", latency_ms: 1 + Math.floor(random() * 4), probe: pick(["lb-a", "lb-b"]) }
    })
  })
  // metric emissions
  const metricNames = ["http.requests", "http.latency", "db.queries", "cache.hits", "cache.misses", "queue.depth", "gc.pause", "heap.used"]
  poisson(options?.metricsPerSecond ?? 40, (t) => {
    const name = pick(metricNames)
    at(t, {
      level: "Debug",
      logger: "metrics",
      message: `Metric recorded: ${name}`,
      template: "Metric recorded: {name}",
      fields: { name, value: Math.round(random() * 1000) / 10 }
    })
  })
  // background errors
  poisson(0.2, (t) => {
    at(t, { level: "Error", logger: "db.pool", message: "Connection reset by peer", fields: { host: "db-1" } })
  })
  // requests
  const actions = ["item viewed", "item added to cart", "search performed", "profile updated"]
  const tables = ["users", "orders", "items", "sessions"]
  let requests = 0
  poisson(options?.requestsPerSecond ?? 20, (start) => {
    const correlationId = `req-${requests++}`
    const user_id = `u-${Math.floor(random() * 500)}`
    const batch = random() < 0.05
    const length = batch ? 200 + random() * 800 : 5 + random() * 295
    const queries = batch ? 20 + Math.floor(random() * 41) : 1 + Math.floor(random() * 3)
    for (let q = 0; q < queries; q++) {
      const table = pick(tables)
      at(start + (length * q) / queries, {
        level: "Debug",
        logger: "db.pool",
        message: `Query executed: ${table}`,
        template: "Query executed: {table}",
        fields: { table, rows: Math.floor(random() * 50) },
        correlationId
      })
    }
    const burst = random() < 0.05
    const userActions = burst ? 8 : 1 + Math.floor(random() * 3)
    const action = pick(actions)
    for (let a = 0; a < userActions; a++) {
      at(start + (burst ? a * 20 : length * random()), {
        level: "Info",
        logger: "api",
        message: burst ? action : pick(actions),
        fields: { user_id, item_id: `i-${Math.floor(random() * 1000)}` },
        correlationId
      })
    }
    if (random() < 0.2) {
      at(start + length * 0.9, {
        level: "Info",
        logger: "orders",
        message: "order placed",
        fields: { event_type: "business", order_id: `o-${requests}`, amount: Math.round(random() * 20_000) / 100 },
        correlationId
      })
    }
    if (random() < 0.01) {
      at(start + length * 0.95, {
        level: "Error",
        logger: "payments",
        message: "payment gateway timeout",
        fields: { gateway: "acme", attempt: 1 },
        correlationId
      })
    }
    if (correlationEnds) atControl(start + length + 1, correlationId)
  })

  timed.sort((a, b) => a.at - b.at || a.seq - b.seq)
  const counts: Record<Category, number> = { pool: 0, health: 0, metric: 0, user: 0, business: 0, error: 0 }
  const events = timed.map(({ event }) => {
    const category = categoryOf(event)
    if (category !== undefined) counts[category]++
    return event
  })
  return { events, counts, requests, startTime, endTime: startTime + durationMs }
}

/**
 * The category of an event produced by {@link generate} (also of an aggregate built from one),
 * or `undefined` for a control event.
 *
 * @since 0.1.0
 */
export const categoryOf = (event: LogEvent.LogEvent): Category | undefined => {
  if (event.control !== undefined) return undefined
  if (event.level === "Error" || event.level === "Fatal") return "error"
  switch (event.logger) {
    case "db.pool":
      return "pool"
    case "http.health":
      return "health"
    case "metrics":
      return "metric"
    case "orders":
      return "business"
    default:
      return "user"
  }
}

/** mulberry32: a small, fast, well-distributed 32-bit PRNG. Returns floats in [0, 1). */
const mulberry32 = (seed: number): () => number => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
