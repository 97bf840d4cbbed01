/**
 * pino 10 with its worker-thread file transport (`pino.transport({ target: "pino/file" })`).
 *
 * The worker thread is started and reported ready before timing begins. Timed: from the first
 * `logger.info` until the transport has ended, its worker wrote everything and the thread exited.
 *
 * @module
 */
import { once } from "node:events"
import { pino } from "pino"
import * as Runner from "../lib/Runner.ts"

Runner.main("pino-transport", async ({ events, file }, latency) => {
  const transport = pino.transport({ target: "pino/file", options: { destination: file } })
  await once(transport, "ready")
  const logger = pino(transport)
  const { MESSAGE, USER, isSampled, now } = Runner

  const t0 = now()
  for (let i = 0; i < events; i++) {
    if (isSampled(i)) {
      const s = now()
      logger.info({ i, user: USER }, MESSAGE)
      latency.record((now() - s) * 1000)
    } else {
      logger.info({ i, user: USER }, MESSAGE)
    }
  }
  // The worker thread is unref'd by default: hold the process open until it has exited.
  // (`ref()` exists on thread-stream's ThreadStream but is missing from pino's type for it.)
  const threadStream = transport as unknown as { ref(): void }
  threadStream.ref()
  const closed = once(transport, "close")
  transport.end()
  await closed
  return { wallMs: now() - t0 }
})
