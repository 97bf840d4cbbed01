/**
 * Hooks run on the process's `exit` event, behind ONE `process.once("exit")` listener per
 * registry (a registry per worker by default, or one shared by the workers of a layer).
 *
 * Who calls it: a worker registers when it starts and calls the returned function when it is
 * released. Must never: keep a listener installed while it has no hook (so a released worker
 * leaves nothing behind), or let one hook's throw stop the others.
 * Invariant: the process has one listener per registry that has hooks, none otherwise.
 *
 * @internal
 */
import { errorMessage } from "../errorMessage.ts"

/** @internal */
export class ExitHooks {
  private readonly hooks = new Set<() => void>()
  private readonly run = (): void => {
    for (const hook of Array.from(this.hooks)) {
      try {
        hook()
      } catch (cause) {
        process.stderr.write(`effect-fapilog: at process exit: ${errorMessage(cause)}\n`)
      }
    }
    this.hooks.clear()
  }

  register(hook: () => void): () => void {
    if (this.hooks.size === 0) process.once("exit", this.run)
    this.hooks.add(hook)
    return () => {
      if (!this.hooks.delete(hook)) return
      if (this.hooks.size === 0) process.removeListener("exit", this.run)
    }
  }
}
