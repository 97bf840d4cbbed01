/**
 * winston 3 with its File transport and the JSON format (plus a timestamp, as every other system
 * writes one).
 *
 * Timed: from the first `logger.info` until the logger ended and the File transport emitted
 * `finish` (its stream has written everything).
 *
 * @module
 */
import { once } from "node:events"
import * as Runner from "../lib/Runner.ts"
import * as Winston from "../lib/Winston.ts"

Runner.main("winston", async ({ events, file }, latency) => {
  const { logger, transport } = await Winston.open(file)
  const { MESSAGE, USER, isSampled, now } = Runner

  const t0 = now()
  for (let i = 0; i < events; i++) {
    if (isSampled(i)) {
      const s = now()
      logger.info(MESSAGE, { i, user: USER })
      latency.record((now() - s) * 1000)
    } else {
      logger.info(MESSAGE, { i, user: USER })
    }
  }
  const finished = once(transport, "finish")
  logger.end()
  await finished
  return { wallMs: now() - t0 }
})
