/**
 * `npm run docs` (`node scripts/docs.ts [outDir]`): the API reference, generated from the JSDoc
 * of every export of `src/*.ts` (not `src/internal`) into `docs/api/<Module>.md` plus
 * `docs/api/README.md`.
 *
 * TypeDoc and `@effect/docgen` need the TypeScript compiler's JS API, which the native
 * TypeScript 7 compiler does not ship, so this script reads the sources itself: it finds every
 * top-level `export` (the project's style puts them at column 0), takes the JSDoc block right
 * above it, and takes the declaration's signature from the source text — the head of a function
 * or arrow function up to its body, the type annotation of a constant, the whole of an interface
 * or type alias. The output is deterministic, so `test/ApiDocs.test.ts` can check that
 * `docs/api` is up to date and that every export has a summary and an example with a title.
 */
import * as fs from "node:fs"
import * as path from "node:path"

// -----------------------------------------------------------------------------
// models
// -----------------------------------------------------------------------------

/** The parsed JSDoc of one declaration. */
export interface Doc {
  readonly summary: string
  readonly details: string
  readonly examples: ReadonlyArray<Example>
  readonly since: string | undefined
  readonly category: string | undefined
  readonly deprecated: string | undefined
}

/**
 * One `@example`: its title (the text after `@example` on the tag's line, e.g.
 * `@example Writing lines to a file`) and its body (a ```ts block, and any prose around it).
 */
export interface Example {
  readonly title: string | undefined
  readonly body: string
}

/** One exported name of a module (overloads are merged into one export). */
export interface Export {
  readonly name: string
  readonly kind: "const" | "function" | "interface" | "type" | "class" | "namespace"
  readonly line: number
  readonly signatures: ReadonlyArray<string>
  readonly doc: Doc | undefined
  /** For `export * as X from "./X.ts"`: the module it names. */
  readonly target?: string | undefined
}

/** One public module. */
export interface Module {
  readonly name: string
  readonly file: string
  readonly doc: Doc | undefined
  readonly exports: ReadonlyArray<Export>
}

// -----------------------------------------------------------------------------
// reading sources
// -----------------------------------------------------------------------------

/** Every public module of `srcDir` (its `*.ts` files, `index.ts` first), parsed. */
export const readModules = (srcDir: string): Array<Module> =>
  fs.readdirSync(srcDir)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .sort((a, b) => a === "index.ts" ? -1 : b === "index.ts" ? 1 : a < b ? -1 : a > b ? 1 : 0)
    .map((f) => parseModule(`${path.basename(srcDir)}/${f}`, fs.readFileSync(path.join(srcDir, f), "utf8")))

/** Parses the exports of one module's source text. */
export const parseModule = (file: string, source: string): Module => {
  const s = source.replace(/\r\n/g, "\n")
  const name = path.basename(file, ".ts")
  const exports: Array<Export> = []
  const byName = new Map<string, Export>()
  let moduleDoc: Doc | undefined
  const header = /^\s*(\/\*\*[\s\S]*?\*\/)/.exec(s)
  if (header !== null && !/^export /m.test(s.slice(header[0].length).split("\n").find((l) => l.trim() !== "") ?? "")) {
    moduleDoc = parseDoc(header[1]!)
  }
  const exportLine = /^export\s/gm
  for (const m of s.matchAll(exportLine)) {
    const start = m.index
    const line = s.slice(0, start).split("\n").length
    const decl = parseDeclaration(s, start)
    if (decl === undefined) continue
    const doc = docAbove(s, start)
    const existing = byName.get(decl.name)
    if (existing !== undefined) {
      // overloads, or a type and a value of the same name
      const merged: Export = {
        ...existing,
        signatures: decl.implementation ? existing.signatures : [...existing.signatures, decl.signature],
        doc: existing.doc ?? doc
      }
      byName.set(decl.name, merged)
      exports[exports.indexOf(existing)] = merged
      continue
    }
    const entry: Export = {
      name: decl.name,
      kind: decl.kind,
      line,
      signatures: [decl.signature],
      doc,
      target: decl.target
    }
    byName.set(decl.name, entry)
    exports.push(entry)
  }
  return { name, file, doc: moduleDoc, exports }
}

/** The JSDoc block that ends on the line right above `start`, if any. */
const docAbove = (s: string, start: number): Doc | undefined => {
  const before = s.slice(0, start).replace(/[ \t]*\n?$/, "")
  if (!before.endsWith("*/")) return undefined
  // the block opens on a line of its own (a `/**` inside a comment line is text, e.g. a glob)
  const lines = before.split("\n")
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/^\s*\/\*\*/.test(lines[i]!)) return parseDoc(lines.slice(i).join("\n"))
    if (i < lines.length - 1 && !/^\s*\*/.test(lines[i]!)) return undefined
  }
  return undefined
}

/** Parses a `/** ... *\/` block. */
export const parseDoc = (comment: string): Doc => {
  const lines = comment
    .replace(/^\/\*\*/, "")
    .replace(/\*\/$/, "")
    .split("\n")
    .map((l) => l.replace(/^\s*\* ?/, "").replace(/\s+$/, ""))
  const sections: Array<{ tag: string; title: string; lines: Array<string> }> = [{ tag: "", title: "", lines: [] }]
  let inFence = false
  for (const l of lines) {
    if (/^\s*```/.test(l)) inFence = !inFence
    const tag = inFence ? null : /^@(\w+)\s?(.*)$/.exec(l)
    if (tag !== null) {
      // an example's tag line holds its title; any other tag's holds the start of its text
      const rest = tag[2]!.trim()
      const title = tag[1] === "example" ? rest : ""
      sections.push({ tag: tag[1]!, title, lines: rest.length > 0 && title === "" ? [rest] : [] })
    }
    else sections[sections.length - 1]!.lines.push(l)
  }
  const text = (ls: ReadonlyArray<string>) => ls.join("\n").replace(/^\n+|\n+$/g, "")
  const description = text(sections[0]!.lines)
  const paragraphs = description.split(/\n\s*\n/)
  const firstIsProse = paragraphs[0] !== undefined && !/^\s*(```|[-*|] |\d+\. )/.test(paragraphs[0])
  const summary = firstIsProse ? paragraphs[0]!.split("\n").map((l) => l.trim()).join(" ") : ""
  const details = firstIsProse ? paragraphs.slice(1).join("\n\n") : description
  const tag = (name: string) => sections.find((x) => x.tag === name)
  return {
    summary,
    details,
    examples: sections.filter((x) => x.tag === "example").map((x) => ({
      title: x.title === "" ? undefined : x.title,
      body: text(x.lines)
    })),
    since: tag("since") === undefined ? undefined : text(tag("since")!.lines),
    category: tag("category") === undefined ? undefined : text(tag("category")!.lines),
    deprecated: tag("deprecated") === undefined ? undefined : text(tag("deprecated")!.lines)
  }
}

// -----------------------------------------------------------------------------
// signatures
// -----------------------------------------------------------------------------

interface Declaration {
  readonly name: string
  readonly kind: Export["kind"]
  readonly signature: string
  /** An overloaded function's implementation signature (not shown). */
  readonly implementation: boolean
  readonly target?: string | undefined
}

/** Reads the declaration that starts at `start` (an `export` at column 0). */
const parseDeclaration = (s: string, start: number): Declaration | undefined => {
  const rest = s.slice(start)
  let m: RegExpExecArray | null
  if ((m = /^export \* as (\w+) from "\.\/(\w+)\.ts"/.exec(rest)) !== null) {
    return { name: m[1]!, kind: "namespace", signature: m[0], implementation: false, target: m[2]! }
  }
  if ((m = /^export (?:declare )?interface (\w+)/.exec(rest)) !== null) {
    const open = findAtDepth0(s, start + m[0].length, (c) => c === "{")
    const end = matching(s, open)
    return { name: m[1]!, kind: "interface", signature: s.slice(start, end), implementation: false }
  }
  if ((m = /^export (?:declare )?type (\w+)/.exec(rest)) !== null) {
    const eq = s.indexOf("=", start + m[0].length)
    const end = typeEnd(s, eq + 1, "statement").end
    return { name: m[1]!, kind: "type", signature: s.slice(start, end).trimEnd(), implementation: false }
  }
  if ((m = /^export (?:abstract )?class (\w+)/.exec(rest)) !== null) {
    const open = findAtDepth0(s, start + m[0].length, (c) => c === "{")
    const end = matching(s, open)
    const body = s.slice(open + 1, end - 1).trim()
    return {
      name: m[1]!,
      kind: "class",
      signature: s.slice(start, open) + (body === "" ? "{}" : "{ … }"),
      implementation: false
    }
  }
  if ((m = /^export (?:async )?function\*? ?(\w+)/.exec(rest)) !== null) {
    let i = start + m[0].length
    i = skipTrivia(s, i)
    if (s[i] === "<") i = skipTrivia(s, matching(s, i))
    i = matching(s, i)
    let j = skipTrivia(s, i)
    let end = i
    let implementation = s[j] === "{"
    if (s[j] === ":") {
      const r = typeEnd(s, j + 1, "function")
      end = r.end
      implementation = r.body
    }
    return { name: m[1]!, kind: "function", signature: s.slice(start, end).trimEnd(), implementation }
  }
  if ((m = /^export (?:const|let|var) (\w+)/.exec(rest)) !== null) {
    let i = skipTrivia(s, start + m[0].length)
    if (s[i] === ":") {
      const end = typeEnd(s, i + 1, "annotation").end
      return { name: m[1]!, kind: "const", signature: s.slice(start, end).trimEnd(), implementation: false }
    }
    if (s[i] !== "=") return undefined
    const arrow = arrowHead(s, i + 1)
    if (arrow !== undefined) {
      let end = arrow.end
      let annotated = arrow.annotated
      while (!annotated) {
        const next = arrowHead(s, end)
        if (next === undefined) break
        end = next.end
        annotated = next.annotated
      }
      return { name: m[1]!, kind: "const", signature: s.slice(start, end).trimEnd(), implementation: false }
    }
    const end = typeEnd(s, i + 1, "statement").end
    const statement = s.slice(start, end).trimEnd()
    const oneLine = !statement.includes("\n") && statement.length <= 120
    return { name: m[1]!, kind: "const", signature: oneLine ? statement : `export const ${m[1]}`, implementation: false }
  }
  return undefined
}

/**
 * The head of an arrow function starting at `i` (after `=`): `<T>(params): Return =>`. Returns
 * the index after its `=>`, or `undefined` when the initializer is not an arrow function.
 */
const arrowHead = (s: string, i: number): { end: number; annotated: boolean } | undefined => {
  let j = skipTrivia(s, i)
  if (s.startsWith("async ", j)) j = skipTrivia(s, j + 6)
  const single = /^[A-Za-z_$][\w$]*\s*=>/.exec(s.slice(j, j + 200))
  if (single !== null) return { end: j + single[0].length, annotated: false }
  if (s[j] === "<") j = skipTrivia(s, matching(s, j))
  if (s[j] !== "(") return undefined
  const k = skipTrivia(s, matching(s, j))
  if (s.startsWith("=>", k)) return { end: k + 2, annotated: false }
  if (s[k] !== ":") return undefined
  // a return type that is itself a function type: `<E>(x: X) => Y`
  let r = skipTrivia(s, k + 1)
  if (s[r] === "<") r = skipTrivia(s, matching(s, r))
  if (s[r] === "(") {
    const after = skipTrivia(s, matching(s, r))
    if (s.startsWith("=>", after)) r = after + 2
  }
  const arrow = findAtDepth0(s, r, (_, at) => s.startsWith("=>", at))
  return { end: arrow + 2, annotated: true }
}

/**
 * Where a type that starts at `i` ends.
 *
 * - `"annotation"`: at the `=` of `const x: T = …`.
 * - `"function"`: at the body `{` of a function (then `body` is true), at `;`, or at a line end
 *   that cannot continue the type.
 * - `"statement"`: at `;` or a line end that cannot continue the statement.
 */
const typeEnd = (s: string, i: number, mode: "annotation" | "function" | "statement"): { end: number; body: boolean } => {
  let body = false
  const end = findAtDepth0(s, i, (c, at) => {
    if (mode === "annotation") return c === "=" && s[at + 1] !== ">" && s[at + 1] !== "="
    if (c === ";") return true
    if (mode === "function" && c === "{" && /[\w$>)\]]\s+$/.test(s.slice(i, at))) {
      body = true
      return true
    }
    if (c === "\n") {
      const prev = s.slice(i, at).trimEnd()
      const next = s.slice(at + 1).trimStart()
      if (prev === "" || /[|&:,=(<{[]$/.test(prev) || /=>$/.test(prev)) return false
      return !/^[|&.?]/.test(next) && !next.startsWith("=>")
    }
    return false
  }, true)
  return { end, body }
}

/** Index of the first character at bracket depth 0 (from `i`) for which `stop` holds. */
const findAtDepth0 = (
  s: string,
  i: number,
  stop: (c: string, at: number) => boolean,
  angles = true
): number => {
  const stack: Array<string> = []
  let at = i
  while (at < s.length) {
    const c = s[at]!
    if (c === "/" && (s[at + 1] === "/" || s[at + 1] === "*")) {
      at = skipComment(s, at)
      continue
    }
    if (stack.length === 0 && stop(c, at)) return at
    if (c === "\"" || c === "'" || c === "`") {
      at = skipString(s, at)
      continue
    }
    if (c === "=" && s[at + 1] === ">") {
      at += 2
      continue
    }
    const top = stack[stack.length - 1]
    if (c === "(" || c === "[" || c === "{" || (c === "<" && angles && (top === undefined || top === "<"))) {
      stack.push(c)
    } else if (c === ")" || c === "]" || c === "}" || (c === ">" && top === "<")) {
      stack.pop()
    }
    at++
  }
  return s.length
}

/** Index just after the bracket that closes the one at `i` (`(`, `[`, `{` or `<`). */
const matching = (s: string, i: number): number => {
  const open = s[i]!
  const close = ({ "(": ")", "[": "]", "{": "}", "<": ">" } as Record<string, string>)[open]!
  return findAtDepth0(s, i + 1, (c) => c === close, open === "<") + 1
}

const skipTrivia = (s: string, i: number): number => {
  let at = i
  for (;;) {
    while (at < s.length && /\s/.test(s[at]!)) at++
    if (s[at] === "/" && (s[at + 1] === "/" || s[at + 1] === "*")) at = skipComment(s, at)
    else return at
  }
}

const skipComment = (s: string, i: number): number => {
  if (s[i + 1] === "/") {
    const nl = s.indexOf("\n", i)
    return nl === -1 ? s.length : nl
  }
  const end = s.indexOf("*/", i + 2)
  return end === -1 ? s.length : end + 2
}

const skipString = (s: string, i: number): number => {
  const q = s[i]!
  let at = i + 1
  while (at < s.length) {
    const c = s[at]!
    if (c === "\\") {
      at += 2
      continue
    }
    if (c === q) return at + 1
    if (q === "`" && c === "$" && s[at + 1] === "{") {
      at = matching(s, at + 1)
      continue
    }
    at++
  }
  return s.length
}

// -----------------------------------------------------------------------------
// checks
// -----------------------------------------------------------------------------

/**
 * Modules whose `@example`s may still lack a title, by name: none, since Sampler's (the last
 * pending) were titled, so the rule holds for every module. The list only ever shrinks.
 */
export const untitledExamplesPending: ReadonlySet<string> = new Set()

/**
 * Every export without JSDoc, without a summary, without an `@example` code block, or with an
 * `@example` without a title (except in {@link untitledExamplesPending}); and every untitled
 * `@example` of a module's own JSDoc.
 */
export const missingDocs = (modules: ReadonlyArray<Module>): Array<string> => {
  const out: Array<string> = []
  const untitled = (mod: Module, doc: Doc): Array<string> => {
    if (untitledExamplesPending.has(mod.name)) return []
    const n = doc.examples.filter((x) => x.title === undefined).length
    return n === 0 ? [] : [n === 1 ? "an @example without a title" : `${n} @examples without a title`]
  }
  for (const mod of modules) {
    if (mod.doc !== undefined) {
      const gaps = untitled(mod, mod.doc)
      if (gaps.length > 0) out.push(`${mod.file} (module): ${gaps.join(", ")}`)
    }
    for (const e of mod.exports) {
      if (e.kind === "namespace") continue
      const where = `${mod.file}:${e.line} ${e.name}`
      if (e.doc === undefined) out.push(`${where}: no JSDoc`)
      else {
        const gaps: Array<string> = []
        if (e.doc.summary === "") gaps.push("no summary")
        if (!e.doc.examples.some((x) => /```/.test(x.body))) gaps.push("no @example code block")
        gaps.push(...untitled(mod, e.doc))
        if (gaps.length > 0) out.push(`${where}: ${gaps.join(", ")}`)
      }
    }
  }
  return out
}

// -----------------------------------------------------------------------------
// rendering
// -----------------------------------------------------------------------------

const categoryOrder = ["models", "constructors", "combinators", "layers"]

/** The pages of the reference, by file name. */
export const render = (modules: ReadonlyArray<Module>): Map<string, string> => {
  const pages = new Map<string, string>()
  const known: Known = new Map(modules.map((m) => [m.name, anchors(m)]))
  for (const mod of modules) pages.set(pageName(mod), renderModule(mod, known))
  pages.set("README.md", renderIndex(modules, known))
  return pages
}

/** Writes the reference into `outDir` (removing stale pages), returning the files written. */
export const generate = (srcDir: string, outDir: string): Array<string> => {
  const pages = render(readModules(srcDir))
  fs.mkdirSync(outDir, { recursive: true })
  for (const f of fs.readdirSync(outDir)) {
    if (f.endsWith(".md") && !pages.has(f)) fs.rmSync(path.join(outDir, f))
  }
  for (const [f, text] of pages) fs.writeFileSync(path.join(outDir, f), text)
  return Array.from(pages.keys())
}

/** The heading anchor of every export, by module name and export name. */
type Known = ReadonlyMap<string, ReadonlyMap<string, string>>

/** The exports of a module by category, in page order. */
const categorize = (mod: Module): Array<readonly [string, Array<Export>]> => {
  const groups = new Map<string, Array<Export>>()
  for (const e of mod.exports) {
    if (e.kind === "namespace") continue
    const category = e.doc?.category ?? "uncategorized"
    const list = groups.get(category) ?? []
    list.push(e)
    groups.set(category, list)
  }
  const rank = (c: string) => {
    const i = categoryOrder.indexOf(c)
    return i === -1 ? (c === "uncategorized" ? 1000 : 100) : i
  }
  return Array.from(groups.entries()).sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
}

/**
 * The anchors GitHub gives the export headings of a module page: headings are visited in page
 * order and a repeated slug gets `-1`, `-2`… (an `Encoder` export under the `# Encoder` title is
 * `#encoder-1`).
 */
const anchors = (mod: Module): Map<string, string> => {
  const seen = new Map<string, number>()
  const anchor = (text: string) => {
    const base = slug(text)
    const n = seen.get(base)
    seen.set(base, (n ?? -1) + 1)
    return n === undefined ? base : `${base}-${n + 1}`
  }
  const out = new Map<string, string>()
  anchor(title(mod))
  if (mod.exports.some((e) => e.kind === "namespace")) anchor("Modules")
  const categories = categorize(mod)
  if (categories.length > 0) anchor("Contents")
  for (const [c, list] of categories) {
    anchor(c)
    for (const e of list) out.set(e.name, anchor(e.name))
  }
  return out
}

const pageName = (mod: Module) => `${mod.name}.md`

const title = (mod: Module) => mod.name === "index" ? "effect-fapilog" : mod.name

const importLine = (mod: Module) =>
  mod.name === "index"
    ? "import { FapilogLive, Fapilog, Logger, Sink } from \"effect-fapilog\""
    : `import * as ${mod.name} from "effect-fapilog/${mod.name}"`

const renderIndex = (modules: ReadonlyArray<Module>, known: Known): string => {
  const out: Array<string> = [
    "# API reference",
    "",
    "Generated from the JSDoc of `src/` by `npm run docs` (`scripts/docs.ts`); do not edit by hand.",
    "`test/ApiDocs.test.ts` fails when these pages are out of date.",
    "",
    "| module | |",
    "| --- | --- |"
  ]
  for (const mod of modules) {
    out.push(`| [${title(mod)}](${pageName(mod)}) | ${escapeCell(mod.doc?.summary ?? "")} |`)
  }
  out.push("", "## Every export", "")
  for (const mod of modules) {
    const items = mod.exports.filter((e) => e.kind !== "namespace")
    if (items.length === 0) continue
    out.push(`### ${title(mod)}`, "")
    for (const e of items) {
      out.push(`- [\`${e.name}\`](${pageName(mod)}#${known.get(mod.name)!.get(e.name)})${e.doc?.summary ? ` — ${inline(e.doc.summary, mod, known, true)}` : ""}`)
    }
    out.push("")
  }
  return out.join("\n").replace(/\n+$/, "\n")
}

const renderModule = (mod: Module, known: Known): string => {
  const out: Array<string> = [`# ${title(mod)}`, ""]
  if (mod.doc !== undefined) {
    const intro = [mod.doc.summary, mod.doc.details].filter((x) => x !== "").join("\n\n")
    if (intro !== "") out.push(inline(intro, mod, known), "")
  }
  out.push("```ts", importLine(mod), "```", "")
  const namespaces = mod.exports.filter((e) => e.kind === "namespace")
  if (namespaces.length > 0) {
    out.push("## Modules", "")
    for (const e of namespaces) out.push(`- [\`${e.name}\`](${e.target}.md)`)
    out.push("")
  }
  const categories = categorize(mod)
  const own = known.get(mod.name)!
  if (categories.length > 0) {
    out.push("## Contents", "")
    for (const [c, list] of categories) {
      out.push(`- **${c}**: ${list.map((e) => `[\`${e.name}\`](#${own.get(e.name)})`).join(", ")}`)
    }
    out.push("")
  }
  for (const [c, list] of categories) {
    out.push(`## ${c}`, "")
    for (const e of list) out.push(...renderExport(e, mod, known))
  }
  return out.join("\n").replace(/\n+$/, "\n")
}

const renderExport = (e: Export, mod: Module, known: Known): Array<string> => {
  const out: Array<string> = [`### ${e.name}`, ""]
  const doc = e.doc
  if (doc?.deprecated !== undefined) out.push(`> **Deprecated.** ${inline(doc.deprecated, mod, known)}`, "")
  if (doc !== undefined && doc.summary !== "") out.push(inline(doc.summary, mod, known), "")
  // `ts signature` is highlighted as TypeScript but not compiled by test/Docs.test.ts (a
  // signature is not a program)
  out.push("```ts signature", ...e.signatures.join("\n\n").split("\n"), "```", "")
  if (doc !== undefined && doc.details !== "") out.push(inline(doc.details, mod, known), "")
  if (doc !== undefined) {
    for (const example of doc.examples) {
      out.push(example.title === undefined ? "**Example**" : `**Example** (${inline(example.title, mod, known)})`, "")
      out.push(/```/.test(example.body) ? example.body : ["```ts", example.body, "```"].join("\n"), "")
    }
  }
  const source = `[source](../../${mod.file}#L${e.line})`
  out.push(doc?.since !== undefined ? `Since ${doc.since} · ${source}` : source, "")
  return out
}

/** Rewrites `{@link X}` as a link to X's entry (outside code fences). */
const inline = (text: string, mod: Module, known: Known, fromIndex = false): string => {
  let inFence = false
  return text.split("\n").map((line) => {
    if (/^\s*```/.test(line)) inFence = !inFence
    if (inFence) return line
    return line.replace(/\{@link\s+([^}|\s]+)(?:\s*\|\s*([^}]+)|\s+([^}]+))?\}/g, (_, target: string, a?: string, b?: string) => {
      const label = (a ?? b)?.trim() ?? target
      const href = linkTarget(target, mod, known, fromIndex)
      return href === undefined ? `\`${label}\`` : `[\`${label}\`](${href})`
    })
  }).join("\n")
}

const linkTarget = (target: string, mod: Module, known: Known, fromIndex: boolean) => {
  const [head, member] = target.split(".", 2) as [string, string | undefined]
  const local = known.get(mod.name)?.get(head)
  if (local !== undefined) return fromIndex ? `${pageName(mod)}#${local}` : `#${local}`
  const other = known.get(head)
  if (other !== undefined) {
    if (member === undefined) return `${head}.md`
    const anchor = other.get(member)
    if (anchor !== undefined) return `${head}.md#${anchor}`
  }
  return undefined
}

/** GitHub's heading anchor for a plain name. */
const slug = (name: string) => name.toLowerCase().replace(/[^\w\- ]/g, "").replace(/ /g, "-")

const escapeCell = (text: string) => text.replace(/\|/g, "\\|")

// -----------------------------------------------------------------------------
// main
// -----------------------------------------------------------------------------

if (import.meta.main) {
  const root = path.resolve(import.meta.dirname, "..")
  const outDir = path.resolve(process.argv[2] ?? path.join(root, "docs/api"))
  const modules = readModules(path.join(root, "src"))
  const written = generate(path.join(root, "src"), outDir)
  process.stdout.write(`wrote ${written.length} pages to ${path.relative(process.cwd(), outDir) || "."}\n`)
  const missing = missingDocs(modules)
  if (missing.length > 0) {
    process.stdout.write(`${missing.length} exports lack JSDoc, a summary or a titled example:\n  ${missing.join("\n  ")}\n`)
  }
}
