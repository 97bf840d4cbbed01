/**
 * A sink's background fiber, for the life of a scope (not API): the OTLP export loop
 * (`otlpExport.ts`) and the syslog connection loop (`syslog.ts`).
 *
 * Callers: those two, once per sink, after building the state the loop works on.
 * Order at the scope's close: wait (at most `timeout`) for `idle` — everything handed to the sink
 * delivered or counted —, interrupt the fiber, read what is `left`, run `close`, and report what is
 * left on stderr (the sink's name, the count, the last error when there is one).
 *
 * Must never: fail, or hold the scope's close longer than `timeout` plus the interruption; or
 * close with events left undelivered without saying so.
 *
 * Invariant: the fiber is detached from the caller (a sink's loop outlives the call that started
 * it) and interrupted exactly once, at the scope's close.
 *
 * @internal
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"

/** How a background fiber is wound down when its scope closes. */
export interface Shutdown {
  /** The sink's name, for the report. */
  readonly name: string
  /** What the sink counts, plural ("log records", "messages"). */
  readonly unit: string
  /** Completes once nothing is pending or in flight. */
  readonly idle: Effect.Effect<unknown>
  /** How long the close waits for `idle`. */
  readonly timeout: Duration.Input
  /** What is still not delivered (pending, in flight, lost and not yet taken). */
  readonly left: () => number
  /** The last error, for the report. */
  readonly lastError?: (() => string | undefined) | undefined
  /** Releases what the loop held (sockets), after the fiber is interrupted and `left` is read. */
  readonly close?: (() => void) | undefined
}

/** Forks `loop` detached, and winds it down as {@link Shutdown} says when the scope closes. */
export const runUntilClose = (loop: Effect.Effect<never>, shutdown: Shutdown): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkDetach(loop)
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        yield* Effect.timeoutOption(shutdown.idle, shutdown.timeout)
        yield* Fiber.interrupt(fiber)
        const left = shutdown.left()
        shutdown.close?.()
        if (left > 0) {
          const error = shutdown.lastError?.()
          process.stderr.write(
            `effect-fapilog: sink ${shutdown.name} closed with ${left} ${shutdown.unit} not delivered` +
              `${error === undefined ? "" : ` (last error: ${error})`}\n`
          )
        }
      })
    )
  })
