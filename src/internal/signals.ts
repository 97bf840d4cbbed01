/**
 * One process listener per signal for the whole library, shared by every file sink (and any
 * other user) that wants to hear the signal, however many are open.
 *
 * Where the registry lives: process signals are process-global, so the one listener has to be
 * found from anywhere in the process. Rather than keep a module-level map (mutable state that
 * every copy of this module would duplicate), the registry is the process's own listener list:
 * the library's listener for a signal carries its set of handlers under a `Symbol.for` key, so
 * it is found with `process.listeners(signal)`, by any copy of the library. The set is
 * reference-counted by scopes: {@link on} adds a handler while its scope is open; the listener is
 * installed with the first handler and removed with the last.
 *
 * Who calls: `Sink.file` (reopen on `SIGHUP`), once per opened writer. Invariant: while at least
 * one handler is registered for a signal, exactly one library listener for it is installed;
 * when none is, there is none (the signal's default behaviour is back).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"

const HANDLERS = Symbol.for("effect-fapilog/signal-handlers")

interface LibraryListener {
  (signal: NodeJS.Signals): void
  readonly [HANDLERS]: Set<() => void>
}

const isLibraryListener = (listener: Function): listener is LibraryListener => HANDLERS in listener

/** The library's listener for `signal`, installed if there is none yet. */
const acquireListener = (signal: NodeJS.Signals): LibraryListener => {
  const found = process.listeners(signal).find(isLibraryListener)
  if (found !== undefined) return found
  const handlers = new Set<() => void>()
  const listener: LibraryListener = Object.assign((_signal: NodeJS.Signals) => {
    for (const handler of handlers) handler()
  }, { [HANDLERS]: handlers })
  process.on(signal, listener)
  return listener
}

/**
 * Runs `handler` on every delivery of `signal` while the current scope is open.
 *
 * @internal
 */
export const on = (signal: NodeJS.Signals, handler: () => void): Effect.Effect<void, never, Scope.Scope> => {
  // a fresh entry per subscription: the same function subscribed twice runs twice
  const entry = () => handler()
  return Effect.acquireRelease(
    Effect.sync(() => {
      const listener = acquireListener(signal)
      listener[HANDLERS].add(entry)
      return listener
    }),
    (listener) =>
      Effect.sync(() => {
        listener[HANDLERS].delete(entry)
        if (listener[HANDLERS].size === 0) process.off(signal, listener)
      })
  ).pipe(Effect.asVoid)
}
