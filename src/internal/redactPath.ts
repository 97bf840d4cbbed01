/**
 * Dotted redaction paths (not API): `"user.email"`, `"items.*.card"`, compiled into a trie.
 *
 * Callers: `internal/redact.ts` compiles the `paths` option once per `Redactor.make`
 * ({@link compilePaths}); the walker steps the set of live nodes down one key at a time
 * ({@link stepPath}) and censors a property whose step reaches a terminal node ({@link isTerminal}).
 *
 * Must never: allocate when no path is configured (every step returns the shared {@link NO_NODES}).
 *
 * Invariant: the live node set at a property is exactly the set of paths whose prefix matches the
 * keys from the root to that property, `*` matching any one key or array index.
 *
 * @internal
 */

interface PathNode {
  readonly children: Map<string, PathNode>
  wildcard: PathNode | undefined
  terminal: boolean
}

/** The live nodes at one point of the walk. */
export type PathNodes = ReadonlyArray<PathNode>

/** No live node: the walk is outside every path. */
export const NO_NODES: PathNodes = []

const makeNode = (): PathNode => ({ children: new Map(), wildcard: undefined, terminal: false })

/** The root node set for `paths` ({@link NO_NODES} when there are none). */
export const compilePaths = (paths: ReadonlyArray<string> | undefined): PathNodes => {
  if (paths === undefined || paths.length === 0) return NO_NODES
  const root = makeNode()
  for (const path of paths) {
    if (path.length === 0) continue
    let node = root
    for (const segment of path.split(".")) {
      if (segment === "*") {
        node = node.wildcard ??= makeNode()
      } else {
        let next = node.children.get(segment)
        if (next === undefined) {
          next = makeNode()
          node.children.set(segment, next)
        }
        node = next
      }
    }
    node.terminal = true
  }
  return [root]
}

/** The path nodes reached from `nodes` through `key`. */
export const stepPath = (nodes: PathNodes, key: string): PathNodes => {
  if (nodes.length === 0) return NO_NODES
  let out: Array<PathNode> | undefined
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!
    const child = node.children.get(key)
    if (child !== undefined) (out ??= []).push(child)
    if (node.wildcard !== undefined) (out ??= []).push(node.wildcard)
  }
  return out ?? NO_NODES
}

/** Whether some path ends at one of `nodes`. */
export const isTerminal = (nodes: PathNodes): boolean => {
  for (let i = 0; i < nodes.length; i++) if (nodes[i]!.terminal) return true
  return false
}
