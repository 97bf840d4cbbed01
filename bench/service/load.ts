/**
 * The paced, bounded load generator of the service-level benchmark, in its own process:
 * `node bench/service/load.ts --port P --rps R --seconds S [--max-in-flight N]`.
 *
 * Open loop: every millisecond it sends the requests that are due (`rps × elapsed`), as
 * `GET http://127.0.0.1:P/work` over keep-alive sockets, at most `--max-in-flight` (default 256)
 * at a time — a request due while the cap is reached is counted as `notSent`, never queued. A
 * request's latency runs from the moment it was due (not when it could be sent), so a stalled
 * server shows in the percentiles instead of slowing the generator down (no coordinated
 * omission). It stops sending after S seconds, waits at most 10 s for the requests in flight, and
 * prints one JSON line: sent, completed, errors, notSent, achieved request rate, latency
 * percentiles in ms.
 *
 * @module
 */
import * as Http from "node:http"
import { performance } from "node:perf_hooks"
import * as Stats from "../lib/Stats.ts"

const argv = process.argv.slice(2)
const num = (name: string, fallback?: number): number => {
  const at = argv.indexOf(name)
  const value = at === -1 ? fallback : Number(argv[at + 1])
  if (value === undefined || !Number.isFinite(value) || value <= 0) throw new Error(`load needs a positive ${name}`)
  return value
}
const port = num("--port")
const rps = num("--rps")
const seconds = num("--seconds")
const maxInFlight = num("--max-in-flight", 256)

const agent = new Http.Agent({ keepAlive: true, maxSockets: maxInFlight })
const total = Math.round(rps * seconds)
const latencies = new Float64Array(total)
const state = { sent: 0, completed: 0, errors: 0, notSent: 0, inFlight: 0 }

const fire = (dueAt: number): void => {
  state.inFlight++
  const request = Http.get({ host: "127.0.0.1", port, path: "/work", agent }, (response) => {
    response.resume()
    response.on("end", () => {
      if (response.statusCode === 200) latencies[state.completed++] = performance.now() - dueAt
      else state.errors++
      state.inFlight--
    })
  })
  request.on("error", () => {
    state.errors++
    state.inFlight--
  })
}

const t0 = performance.now()
await new Promise<void>((resolve) => {
  const tick = setInterval(() => {
    const elapsed = performance.now() - t0
    const due = Math.min(total, Math.floor((rps * elapsed) / 1000))
    while (state.sent + state.notSent < due) {
      const dueAt = t0 + ((state.sent + state.notSent) * 1000) / rps
      if (state.inFlight >= maxInFlight) state.notSent++
      else {
        state.sent++
        fire(dueAt)
      }
    }
    if (state.sent + state.notSent >= total) {
      clearInterval(tick)
      resolve()
    }
  }, 1)
})
const sendMs = performance.now() - t0
const deadline = performance.now() + 10_000
while (state.inFlight > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5))
agent.destroy()
const latency = Stats.percentiles(latencies.subarray(0, state.completed))
process.stdout.write(JSON.stringify({
  rps,
  seconds,
  sent: state.sent,
  completed: state.completed,
  errors: state.errors,
  notSent: state.notSent,
  unanswered: state.inFlight,
  achievedRps: state.completed / (sendMs / 1000),
  latencyMs: { p50: latency.p50, p99: latency.p99, p999: latency.p999, max: latency.max }
}) + "\n")
process.exit(0)
