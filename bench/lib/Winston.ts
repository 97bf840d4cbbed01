/**
 * winston 3 as every benchmark runs it: a File transport with the JSON format plus a timestamp
 * (as every other system writes one), opened before the timed section starts.
 *
 * @module
 */
import { once } from "node:events"
import winston from "winston"

/** A logger writing JSON lines to `file`, and its File transport, once the file is open. */
export const open = async (file: string): Promise<{ readonly logger: winston.Logger; readonly transport: winston.transport }> => {
  const transport = new winston.transports.File({ filename: file })
  const logger = winston.createLogger({
    level: "info",
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [transport]
  })
  await once(transport, "open")
  return { logger, transport }
}
