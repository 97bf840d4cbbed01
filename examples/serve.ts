/**
 * `npm run serve`: the example checkout service (examples/service.ts) on http://127.0.0.1:3000
 * (or `PORT`), until interrupted. Ctrl-C drains every logger before the process exits.
 *
 *   curl -X POST localhost:3000/api/v1/users/u1/actions
 *   curl localhost:3000/api/v1/catalog
 */
import { NodeRuntime } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import { Sink } from "../src/index.ts"
import * as Service from "./service.ts"

fs.mkdirSync("logs", { recursive: true })
const port = Number(process.env.PORT ?? 3000)

const main = Effect.andThen(
  Effect.sync(() => process.stdout.write(`checkout service on http://127.0.0.1:${port} (logs/service.jsonl); Ctrl-C to stop\n`)),
  Layer.launch(Service.make({ port, logFile: "logs/service.jsonl", console: Sink.pretty() }))
)

NodeRuntime.runMain(main)
