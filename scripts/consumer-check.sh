#!/usr/bin/env bash
# The package as a user gets it: `npm pack` this repository, install the tarball into a fresh
# temporary project beside `effect` and `@effect/platform-node` from the registry, run a small
# program (its lines must reach a file, redacted), then type check the same program against the
# published declarations with TypeScript 5.x and 7.x, under `module: nodenext` and under
# `moduleResolution: bundler`, with `skipLibCheck: false` and `types: []` (so nothing is found
# by accident: @types/node must be reached through the package's own `reference types`).
#
# Called by .ci/run after the tests, or by hand: `npm run consumer-check`.
# Environment (all optional):
#   CONSUMER_EFFECT     version or range of effect to install (default: the peer range, so the
#                       newest version in it); `min` = the lowest version the peer range names
#   CONSUMER_PLATFORM   the same for @effect/platform-node
#   CONSUMER_TYPES_NODE the same for @types/node
#   CONSUMER_KEEP=1     keep the temporary directory and print its path
# Needs the registry (npm install) and a Node >= 22.19 on the PATH (`npm run` puts the repo's
# Node 24 there). Bounded: every npm/node/tsc step runs under `timeout`.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/fapilog-consumer.XXXXXX")"
if [ "${CONSUMER_KEEP:-}" = 1 ]; then
  echo "consumer-check: keeping $work"
else
  trap 'rm -rf "$work"' EXIT
fi
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
step() { echo "consumer-check: $*"; }

# $1 = package, $2 = requested ("" = the peer range, "min" = the first version the range names)
version() {
  node -e 'const [name, want] = process.argv.slice(1)
const range = require(process.env.REPO + "/package.json").peerDependencies[name]
console.log(want === "" ? range : want === "min" ? range.match(/\d+(\.\d+){0,2}/)[0] : want)' "$1" "$2"
}
export REPO="$repo"
effect_v="$(version effect "${CONSUMER_EFFECT:-}")"
platform_v="$(version @effect/platform-node "${CONSUMER_PLATFORM:-}")"
types_v="$(version @types/node "${CONSUMER_TYPES_NODE:-}")"

step "node $(node --version), npm $(npm --version)"
step "npm pack (prepack cleans dist/, prepare builds it)"
(cd "$repo" && timeout 120 npm pack --silent --pack-destination "$work" >/dev/null)
tarball="$(ls "$work"/effect-fapilog-*.tgz)"
contents="$(tar -tzf "$tarball")"
for f in dist/index.js dist/index.d.ts; do
  grep -qx "package/$f" <<<"$contents" || { echo "consumer-check: the tarball has no $f" >&2; exit 1; }
done

app="$work/app"
mkdir -p "$app"
cd "$app"
cat > package.json <<'EOF'
{ "name": "fapilog-consumer", "private": true, "type": "module" }
EOF
step "npm install the tarball + effect@$effect_v @effect/platform-node@$platform_v @types/node@$types_v + typescript 5 and 7"
timeout 300 npm install --no-package-lock --loglevel=error \
  "$tarball" "effect@$effect_v" "@effect/platform-node@$platform_v" "@types/node@$types_v" \
  "typescript5@npm:typescript@5" "typescript7@npm:typescript@7"
# one copy of effect only: the package must use the app's, not a nested one
if [ -d node_modules/effect-fapilog/node_modules ]; then
  echo "consumer-check: effect-fapilog has nested dependencies:" >&2
  ls node_modules/effect-fapilog/node_modules >&2
  exit 1
fi
step "installed: $(node -p 'const v = (p) => require(`./node_modules/${p}/package.json`).version; `effect ${v("effect")}, @effect/platform-node ${v("@effect/platform-node")}, @types/node ${v("@types/node")}, typescript ${v("typescript5")} and ${v("typescript7")}`')"

# The program: only the package's public entry points, no node: import (so `types: []` holds).
cat > main.ts <<'EOF'
import { Effect } from "effect"
import { Fapilog, Logger } from "effect-fapilog"
import * as Sink from "effect-fapilog/Sink"

// options that mention Node's own types (tls, signals) must type check from the declarations
const syslogOptions: Parameters<typeof Sink.syslog>[0] = { transport: "tls", tls: { rejectUnauthorized: true } }
const fileOptions: Parameters<typeof Sink.file>[1] = { reopenOnSignal: "SIGHUP" }
void syslogOptions

const program = Effect.gen(function*() {
  yield* Effect.logInfo("plain Effect log")
  const log = yield* Logger.named("payments")
  yield* log.info("charge created", { amount: 10 })
  yield* log.warn("retrying", { attempt: 2, authorization: "Bearer abc.def.ghi" })
})

await Effect.runPromise(
  program.pipe(Effect.provide(Fapilog.layer({ sinks: [Sink.file("app.jsonl", fileOptions)] })))
)
EOF
cat > check.mjs <<'EOF'
import * as assert from "node:assert/strict"
import * as fs from "node:fs"
const text = fs.readFileSync("app.jsonl", "utf8")
const lines = text.trim().split("\n").map((l) => JSON.parse(l))
const byMsg = new Map(lines.map((l) => [l.msg, l]))
assert.deepEqual([...byMsg.keys()].sort(), ["charge created", "plain Effect log", "retrying"], text)
assert.equal(byMsg.get("charge created").level, "INFO")
assert.equal(byMsg.get("charge created").logger, "payments")
assert.equal(byMsg.get("charge created").amount, 10)
assert.equal(byMsg.get("retrying").level, "WARN")
assert.ok(!text.includes("abc.def.ghi"), `the bearer token reached the file:\n${text}`)
console.log(`consumer-check: ${lines.length} lines in app.jsonl, as expected`)
EOF

step "run main.ts with $(command -v node)"
timeout 60 node main.ts
timeout 30 node check.mjs

tsconfig() { # $1 = module, $2 = moduleResolution
  cat > tsconfig.json <<EOF
{
  "compilerOptions": {
    "target": "ES2022",
    "module": "$1",
    "moduleResolution": "$2",
    "strict": true,
    "skipLibCheck": false,
    "types": [],
    "noEmit": true
  },
  "files": ["main.ts"]
}
EOF
}
failed=0
for ts in typescript5 typescript7; do
  for mode in "nodenext nodenext" "preserve bundler"; do
    set -- $mode
    tsconfig "$1" "$2"
    name="tsc $(node -p "require('./node_modules/$ts/package.json').version") module=$1 moduleResolution=$2"
    status=0
    out="$(timeout 300 node "node_modules/$ts/bin/tsc" -p tsconfig.json 2>&1)" || status=$?
    if [ "$status" = 0 ]; then
      step "$name: ok"
    else
      [ "$status" = 124 ] && out="timed out after 300 s"
      step "$name: FAILED"
      echo "$out" | head -40
      failed=1
    fi
  done
done
[ "$failed" = 0 ] || exit 1
step "all checks passed"
