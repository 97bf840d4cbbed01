/**
 * pino 10 with its asynchronous SonicBoom destination (`sync: false`, `minLength: 4096`).
 *
 * Timed: from the first `logger.info` until the destination has flushed and closed its file.
 *
 * @module
 */
import { once } from "node:events"
import { pino } from "pino"
import * as Runner from "../lib/Runner.ts"

Runner.main("pino", async ({ events, file }, latency) => {
  const dest = pino.destination({ dest: file, sync: false, minLength: 4096 })
  await once(dest, "ready")
  const logger = pino(dest)
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
  const closed = once(dest, "close")
  dest.end()
  await closed
  return { wallMs: now() - t0 }
})
