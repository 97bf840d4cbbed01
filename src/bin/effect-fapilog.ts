#!/usr/bin/env node
/**
 * The `effect-fapilog` command: `effect-fapilog pretty [file] [--level <level>] [--follow] …`
 * renders NDJSON logs for people (see `src/internal/prettyCommand.ts`). SIGINT/SIGTERM stop it
 * (`NodeRuntime.runMain` interrupts the command); a usage or read error is one line on stderr and
 * exit code 1.
 *
 * @internal
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as Command from "../internal/prettyCommand.ts"

// a closed pipe (`… | head`) ends the command quietly
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0)
  throw e
})

NodeRuntime.runMain(
  Command.main(process.argv.slice(2)).pipe(
    Effect.tapError((e) => Effect.sync(() => process.stderr.write(`effect-fapilog: ${e.message}\n`)))
  ),
  { disableErrorReporting: true }
)
