/**
 * The level table of one `Loggers` instance: which level is set on which dotted logger name.
 *
 * Who calls it: the `Loggers` instance (`internal/loggers.ts`) owns one table for its lifetime;
 * `Logger.setLevel` / `resetLevel` write it; every facade (cached, its `with` children, `reuse: false`) and the Effect
 * logger of `Fapilog.layer` read it through {@link LevelTable.effective}, keeping the answer next
 * to the `version` it was computed at.
 *
 * Invariant: every write that changes a setting increments `version`, and nothing else does; a
 * reader that holds the answer of `version` v may reuse it as long as `version` is still v. The
 * root always has a setting (`reset` of the root restores the configured one), so the effective
 * level of every name is defined.
 *
 * Must never: allocate on a read whose `version` is unchanged (callers cache; `effective` itself
 * only slices names when walking up the hierarchy), or accept a name {@link nameProblem} rejects.
 *
 * @internal
 */
import type * as LogLevel from "effect/LogLevel"
import * as Level from "./level.ts"

export class LevelTable {
  readonly rootName: string
  readonly rootDefault: LogLevel.LogLevel
  /** Incremented by every write that changes a setting. */
  version = 0
  private readonly settings = new Map<string, LogLevel.LogLevel>()

  constructor(rootName: string, rootDefault: LogLevel.LogLevel) {
    this.rootName = rootName
    this.rootDefault = rootDefault
    this.settings.set(rootName, rootDefault)
  }

  /** The setting of `name` itself, if any. */
  get(name: string): LogLevel.LogLevel | undefined {
    return this.settings.get(name)
  }

  /** Sets `name`'s level; returns the previous setting (`undefined` when none or unchanged). */
  set(name: string, level: LogLevel.LogLevel): { readonly changed: boolean; readonly previous: LogLevel.LogLevel | undefined } {
    const previous = this.settings.get(name)
    if (previous === level) return { changed: false, previous }
    this.settings.set(name, level)
    this.version++
    return { changed: true, previous }
  }

  /** Removes `name`'s setting (the root's returns to its configured level). */
  reset(name: string): { readonly changed: boolean; readonly previous: LogLevel.LogLevel | undefined } {
    if (name === this.rootName) return this.set(name, this.rootDefault)
    const previous = this.settings.get(name)
    if (previous === undefined) return { changed: false, previous }
    this.settings.delete(name)
    this.version++
    return { changed: true, previous }
  }

  /** The level set on the nearest ancestor-or-self of `name`; the root's when none is. */
  effective(name: string): LogLevel.LogLevel {
    let current = name
    for (;;) {
      const level = this.settings.get(current)
      if (level !== undefined) return level
      const dot = current.lastIndexOf(".")
      if (dot <= 0) return this.settings.get(this.rootName)!
      current = current.slice(0, dot)
    }
  }

  /** Every setting, the root's first. */
  snapshot(): Readonly<Record<string, LogLevel.LogLevel>> {
    return Object.fromEntries(this.settings)
  }
}

/** Dotted logger names: parts separated by single dots, without spaces, `=` or `,`. */
const loggerNamePattern = /^[^\s.=,]+(?:\.[^\s.=,]+)*$/u

/** What a logger name must look like, for error messages. */
export const loggerNameRule = `a logger name: parts separated by single dots, without spaces, "=" or ","`

/**
 * Why `name` cannot be a logger name in the hierarchy, or `undefined` when it can (the one rule,
 * shared by `Config`, `Logger.setLevel` and `Http.levelsRoute`): non-empty parts separated by single
 * dots, without spaces, `=` or `,`.
 */
export const nameProblem = (name: string): string | undefined =>
  typeof name === "string" && loggerNamePattern.test(name)
    ? undefined
    : `logger name ${JSON.stringify(name)}: expected ${loggerNameRule}`

/** The level names, canonical (Effect's spelling). */
export const levelNames: ReadonlyArray<LogLevel.LogLevel> = Level.names

/** The level named `raw` in any case (surrounding blanks ignored), or `undefined`. */
export const parseLevel = (raw: unknown): LogLevel.LogLevel | undefined =>
  typeof raw === "string" ? Level.fromString(raw) : undefined
