/**
 * HTTP middleware for `effect/http` servers: a correlation id per request, one sampling decision
 * per request (made before its first log line and honoured by `Sampler.byCorrelation`), the
 * `X-Request-Id` and `X-Log-Sampled` response headers, and one request log line per request.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as LogLevel from "effect/LogLevel"
import * as HttpEffect from "effect/http/HttpEffect"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerError from "effect/http/HttpServerError"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Logger from "./Logger.ts"
import * as Sampler from "./Sampler.ts"
import { errorMessage as thrownMessage } from "./internal/errorMessage.ts"
import * as LevelTable from "./internal/levels.ts"
import * as Secret from "./internal/secret.ts"

// -----------------------------------------------------------------------------
// models
// -----------------------------------------------------------------------------

/**
 * Options of {@link middleware}. All optional.
 *
 * Path patterns (`always`, `never`, `exclude`) are matched against the request path without its
 * query string: `*` matches within one path segment (`/users/*` matches `/users/42`, not
 * `/users/42/orders`), `**` matches any number of characters including `/`
 * (`/api/v1/payments/**` matches everything below `/api/v1/payments/`). A trailing `/` on the
 * path is ignored.
 *
 * @example Sampling, rules and exclusions
 * ```ts
 * import * as Http from "effect-fapilog/Http"
 *
 * const options: Http.Options = {
 *   rate: 0.05,
 *   always: ["/api/v1/payments/**"],
 *   never: ["/static/**"],
 *   exclude: ["/health", "/ready"],
 *   logger: "access"
 * }
 * const middleware = Http.middleware(options)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * Request headers to take the correlation id from, first match wins (names are
   * case-insensitive). Default `["x-request-id", "x-correlation-id", "traceparent"]`. For
   * `traceparent` the 32-hex trace id is used. A value is ignored when it is empty, longer than
   * 128 characters, or contains characters outside visible ASCII.
   */
  readonly headers?: ReadonlyArray<string> | undefined
  /** Makes an id when no header carries one. Default `crypto.randomUUID`. */
  readonly generateId?: (() => string) | undefined
  /**
   * The fraction of requests sampled, decided with `Sampler.decide(id, rate)`. Default 1. Use the
   * same rate as the pipeline's `Sampler.byCorrelation` so that `X-Log-Sampled` reports what the
   * pipeline does. Outside [0, 1], `middleware` throws a `RangeError` when it is built.
   */
  readonly rate?: number | undefined
  /** Paths whose requests are always sampled (rule `"always"`; wins over `never`). */
  readonly always?: ReadonlyArray<string> | undefined
  /** Paths whose requests are never sampled (rule `"never"`: errors are still logged). */
  readonly never?: ReadonlyArray<string> | undefined
  /** Paths that produce no request log line. Default `["/health", "/metrics"]`. */
  readonly exclude?: ReadonlyArray<string> | undefined
  /** The `logger` name of request log lines. Default `"http"`. */
  readonly logger?: string | undefined
  /** Which query-string keys are redacted in the logged path. Default {@link isSecretKey}. */
  readonly isSecretKey?: ((key: string) => boolean) | undefined
}

/**
 * What the middleware decided for the current request; read it with `yield* Http.CurrentRequest`
 * inside a handler (`undefined` outside the middleware).
 *
 * @example A request under an always rule
 * ```ts
 * import type * as Http from "effect-fapilog/Http"
 *
 * // a request under an `always` path rule, whatever the rate
 * const info: Http.RequestInfo = { correlationId: "req-1", sampled: true, rule: "always" }
 * const header = info.sampled ? "1" : "0"
 * console.log(header) // => 1
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestInfo {
  readonly correlationId: string
  readonly sampled: boolean
  readonly rule: Sampler.Rule | undefined
}

/**
 * The current request's {@link RequestInfo}, provided by {@link middleware} to the handler.
 *
 * @example Reading the decision in a handler
 * ```ts
 * import { Effect } from "effect"
 * import { HttpServerResponse } from "effect/http"
 * import * as Http from "effect-fapilog/Http"
 *
 * const handler = Effect.gen(function*() {
 *   const info = yield* Http.CurrentRequest
 *   return HttpServerResponse.text(info?.sampled ? "logged" : "not logged")
 * })
 * ```
 *
 * @since 0.1.0
 * @category references
 */
export const CurrentRequest: Context.Reference<RequestInfo | undefined> = Context.Reference<RequestInfo | undefined>(
  "effect-fapilog/Http/CurrentRequest",
  { defaultValue: () => undefined }
)

// -----------------------------------------------------------------------------
// pure helpers
// -----------------------------------------------------------------------------

/**
 * The default correlation-id headers, in order of preference.
 *
 * @example Accepting one more header
 * ```ts
 * import * as Http from "effect-fapilog/Http"
 *
 * console.log(Http.defaultHeaders) // => [ 'x-request-id', 'x-correlation-id', 'traceparent' ]
 * // also accept the id set by an AWS load balancer, after the defaults
 * const middleware = Http.middleware({ headers: [...Http.defaultHeaders, "x-amzn-trace-id"] })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultHeaders: ReadonlyArray<string> = ["x-request-id", "x-correlation-id", "traceparent"]

/**
 * The correlation id carried by request headers: the first of `names` (default
 * {@link defaultHeaders}) with a usable value, or `undefined`. `headers` is keyed by lowercase
 * name, as Node's and `effect/http`'s headers are.
 *
 * A `traceparent` value yields its trace id (32 lowercase hex digits) when it is a valid W3C
 * `traceparent` (version other than `ff`, trace and parent ids not all zero). Any other value is
 * trimmed and used when it is 1 to 128 characters of visible ASCII (so an id cannot smuggle line
 * breaks or control characters into logs or the echoed header).
 *
 * @example Taking the id from headers
 * ```ts
 * import * as Http from "effect-fapilog/Http"
 *
 * console.log(Http.correlationIdFromHeaders({ "x-request-id": "req-1" })) // => req-1
 * // from a W3C trace context, its trace id
 * const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
 * console.log(Http.correlationIdFromHeaders({ traceparent })) // => 4bf92f3577b34da6a3ce929d0e0e4736
 * ```
 *
 * @since 0.1.0
 * @category helpers
 */
export const correlationIdFromHeaders = (
  headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>,
  names: ReadonlyArray<string> = defaultHeaders
): string | undefined => {
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!.toLowerCase()
    const raw = headers[name]
    const value = typeof raw === "string" ? raw : raw?.[0]
    if (value === undefined) continue
    const id = name === "traceparent" ? traceIdOf(value) : plainId(value)
    if (id !== undefined) return id
  }
  return undefined
}

/**
 * Whether a query-string key looks like it carries a secret: one of the redactor's secret keys
 * (`Redactor.defaultKeys`, the same rule: case, `-` and `_` ignored), or it contains `token`,
 * `password`, `passwd`, `pwd`, `secret`, `signature`, `credential`, `apikey`/`api_key`/`api-key`,
 * `jwt`, `session` or `cookie`; or one of its words (split on non-letters and camelCase) is `key`,
 * `auth`, `authorization`, `sig`, `code` or `otp`. Case-insensitive. Broader than the field rule
 * on purpose: `?key=` and `?sig=` carry credentials in URLs far more often than in log fields.
 *
 * @example Which query keys are secret
 * ```ts
 * import * as Http from "effect-fapilog/Http"
 *
 * console.log(Http.isSecretKey("access_token")) // => true
 * console.log(Http.isSecretKey("X-Amz-Signature")) // => true
 * console.log(Http.isSecretKey("page")) // => false
 * ```
 *
 * @since 0.1.0
 * @category helpers
 */
export const isSecretKey = (key: string): boolean => Secret.isSecretQueryKey(key)

/**
 * `url` (a path with an optional query string, as in `request.url`) with the values of secret
 * query parameters replaced by `[REDACTED]`, and any `#fragment` removed. Keys are decoded
 * before `isSecret` (default {@link isSecretKey}) sees them; everything else is kept as sent.
 *
 * @example Redacting a URL's query string
 * ```ts
 * import * as Http from "effect-fapilog/Http"
 *
 * console.log(Http.redactUrl("/login?user=ann&password=hunter2")) // => /login?user=ann&password=[REDACTED]
 * ```
 *
 * @since 0.1.0
 * @category helpers
 */
export const redactUrl = (url: string, isSecret: (key: string) => boolean = isSecretKey): string => {
  const hash = url.indexOf("#")
  if (hash !== -1) url = url.slice(0, hash)
  const q = url.indexOf("?")
  if (q === -1) return url
  const params = url.slice(q + 1).split("&")
  let changed = false
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!
    const eq = p.indexOf("=")
    const key = decodeKey(eq === -1 ? p : p.slice(0, eq))
    if (key !== "" && isSecret(key)) {
      params[i] = (eq === -1 ? p : p.slice(0, eq)) + "=" + REDACTED
      changed = true
    }
  }
  return changed ? url.slice(0, q + 1) + params.join("&") : url
}

/**
 * A matcher for path patterns (see {@link Options}): `*` matches within one segment, `**` across
 * segments, a trailing `/` is ignored, the query string is not part of the path. Paths are
 * normalised the way the router reads them before matching — `%xx` decoded, repeated `/`
 * collapsed, case ignored — so `/API//v1/pay%6Dents` cannot slip past a rule for
 * `/api/v1/payments`.
 *
 * @example Matching paths
 * ```ts
 * import * as Http from "effect-fapilog/Http"
 *
 * const payments = Http.pathMatcher(["/api/v1/payments/*"])
 * console.log(payments("/api/v1/payments/42")) // => true
 * console.log(payments("/api/v1/payments/42/refunds")) // => false
 * ```
 *
 * @since 0.1.0
 * @category helpers
 */
export const pathMatcher = (patterns: ReadonlyArray<string>): (path: string) => boolean => {
  if (patterns.length === 0) return () => false
  const source = patterns.map((p) => {
    const trimmed = trimSlash(p)
    let out = ""
    for (let i = 0; i < trimmed.length; i++) {
      const c = trimmed[i]!
      if (c === "*") {
        if (trimmed[i + 1] === "*") {
          out += ".*"
          i++
        } else {
          out += "[^/]*"
        }
      } else {
        out += c.replace(/[.+?^${}()|[\]\\]/g, "\\$&")
      }
    }
    return out
  })
  const re = new RegExp(`^(?:${source.join("|")})$`, "i")
  return (path) => re.test(normalizePath(stripQuery(path)))
}

// -----------------------------------------------------------------------------
// middleware
// -----------------------------------------------------------------------------

/**
 * An `effect/http` middleware that makes every request a correlation region with one sampling
 * decision and one request log line.
 *
 * For each request:
 *
 * 1. The correlation id comes from the request headers ({@link correlationIdFromHeaders}) or is
 *    generated; it is echoed in the `X-Request-Id` response header.
 * 2. The handler runs inside `Logger.withCorrelationId(id)`: every line logged while handling
 *    the request (plain `Effect.log*` and named facades) carries `correlation_id`, and the end of
 *    the request is signalled to the pipeline (tail buffers of quiet requests are discarded).
 * 3. One sampling decision is made before the handler runs: `"always"` / `"never"` path rules
 *    first (they annotate the request's lines with `_sample_rule`, which
 *    `Sampler.byCorrelation` honours), else `Sampler.decide(id, rate)` — the function
 *    `Sampler.byCorrelation` applies, so at the same rate they agree. The decision is sent in
 *    `X-Log-Sampled: 1|0` and provided to the handler as {@link CurrentRequest}.
 * 4. Unless the path is excluded, one request line is logged at the end of the request, inside
 *    the region: message `"http request"`, logger `"http"` (option `logger`), fields `method`,
 *    `path` (with secret query values redacted), `route` (the matched route's pattern, when the
 *    middleware runs inside an `HttpRouter` route), `status`, `duration_ms` (from `Clock`),
 *    `bytes` (when the body's length is known) and `error` (the failure, when the handler
 *    failed). Level Error for a status of 500 or more — which includes a handler that fails or
 *    dies without a response of its own — otherwise Info. A request interrupted before it
 *    answered is logged with status 499 when the client went away, 503 otherwise.
 *
 * The request line is written through the root facade's worker (under the logger name
 * `"http"`), the one plain `Effect.log*` uses, so a tail sampler in the root pipeline sees the
 * handler's lines and the request line together: with `Sampler.byCorrelation({ rate, tail: true
 * })` a request that fails or logs an error is kept whole. Without `Loggers` in context (no
 * `Fapilog` layer) the line goes to `Effect.log` instead.
 *
 * Headers are set with a pre-response handler, so they reach the client whether the
 * middleware is given to `HttpServer.serve(app, middleware)` / `HttpRouter.serve(layer, {
 * middleware })` (which wrap the sending of the response) or to `HttpRouter.middleware`. With
 * `HttpRouter.serve`, pass `disableLogger: true` to drop Effect's own response log line.
 *
 * @example Serving with the middleware
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { HttpRouter, HttpServerResponse } from "effect/http"
 * import { NodeHttpServer } from "@effect/platform-node"
 * import { createServer } from "node:http"
 * import { Fapilog, Sampler, Sink } from "effect-fapilog"
 * import * as Http from "effect-fapilog/Http"
 *
 * const Routes = HttpRouter.add("GET", "/hello", Effect.as(Effect.logInfo("hi"), HttpServerResponse.text("hello")))
 *
 * const Server = HttpRouter.serve(Routes, {
 *   disableLogger: true,
 *   middleware: Http.middleware({ rate: 0.1, always: ["/api/v1/payments/**"] })
 * }).pipe(
 *   Layer.provide(NodeHttpServer.layer(() => createServer(), { port: 3000 })),
 *   Layer.provide(Fapilog.layer({
 *     sinks: [Sink.stdout()],
 *     pipeline: Sampler.byCorrelation({ rate: 0.1, tail: true })
 *   }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category middleware
 */
export const middleware = (options: Options = {}): <E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
) => Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> => {
  const headerNames = (options.headers ?? defaultHeaders).map((h) => h.toLowerCase())
  const generateId = options.generateId ?? (() => crypto.randomUUID())
  const rate = options.rate ?? 1
  const decideRate = makeDecide(rate)
  const isAlways = pathMatcher(options.always ?? [])
  const isNever = pathMatcher(options.never ?? [])
  const isExcluded = pathMatcher(options.exclude ?? ["/health", "/metrics"])
  const loggerName = options.logger ?? "http"
  const isSecret = options.isSecretKey ?? isSecretKey
  const facades = new WeakMap<Logger.LoggersShape, Logger.NamedLogger>()

  const facadeFor = (loggers: Logger.LoggersShape): Logger.NamedLogger => {
    let facade = facades.get(loggers)
    if (facade === undefined) {
      // through the root's worker, at the level the table gives `loggerName` (run-time changes apply)
      facade = loggers.onRootUnsafe(loggerName)
      facades.set(loggers, facade)
    }
    return facade
  }

  return <E, R>(app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
    Effect.withFiber<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest>((fiber) => {
      const context = fiber.context
      const request = Context.getUnsafe(context, HttpServerRequest.HttpServerRequest)
      const url = pathAndQuery(request.originalUrl)
      const path = stripQuery(url)
      const id = correlationIdFromHeaders(request.headers, headerNames) ?? generateId()
      const rule: Sampler.Rule | undefined = isAlways(path) ? "always" : isNever(path) ? "never" : undefined
      const sampled = rule === undefined ? decideRate(id) : rule === "always"
      const clock = fiber.getRef(Clock.Clock)
      const start = clock.currentTimeNanosUnsafe()
      let sent: HttpServerResponse.HttpServerResponse | undefined
      const sampledHeader = sampled ? "1" : "0"
      HttpEffect.appendPreResponseHandlerUnsafe(context, (_request, response) => {
        sent = HttpServerResponse.setHeaders(response, { "x-request-id": id, "x-log-sampled": sampledHeader })
        return Effect.succeed(sent)
      })

      let handled: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R> = Effect.provideService(
        app,
        CurrentRequest,
        { correlationId: id, sampled, rule }
      )
      if (!isExcluded(path)) {
        const routeContext = Context.getOrUndefined(context, HttpRouter.RouteContext)
        const route = routeContext === undefined ? undefined : String(routeContext.route.path)
        handled = Effect.onExit(handled, (exit) =>
          Effect.suspend(() => {
            const durationMs = Number(clock.currentTimeNanosUnsafe() - start) / 1e6
            const line = requestLine(exit, sent, request.method, redactUrl(url, isSecret), route, durationMs)
            const loggers = Context.getOrUndefined(fiber.context, Logger.Loggers)
            if (loggers === undefined) return Effect.logWithLevel(line.level)(MESSAGE, line.fields)
            return facadeFor(loggers).log(line.level, MESSAGE, line.fields)
          }))
      }
      if (rule !== undefined) handled = Sampler.withRule(handled, rule)
      return Logger.withCorrelationId(id)(handled)
    })
}

/**
 * Options of {@link levelsRoute}.
 *
 * @example A path and an authorization check
 * ```ts
 * import { Effect } from "effect"
 * import * as Http from "effect-fapilog/Http"
 *
 * const options: Http.LevelsRouteOptions = {
 *   path: "/internal/log-levels",
 *   authorize: (request) => Effect.succeed(request.headers["x-admin"] === "yes")
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface LevelsRouteOptions {
  /** Where the table is served. Default `"/admin/log-levels"`. */
  readonly path?: `/${string}` | undefined
  /**
   * Whether this request may read and change levels — the application's own authentication
   * (required: there is no unprotected default). `false` answers 401 and changes nothing.
   */
  readonly authorize: (request: HttpServerRequest.HttpServerRequest) => Effect.Effect<boolean>
}

/**
 * Routes for `effect/http` to read and change logger levels at run time (see `Logger.setLevel`),
 * to mount with `HttpRouter.serve` next to the application's routes:
 *
 * - `GET {path}` answers `{ "levels": { "root": "Info", "payments": "Debug" } }`.
 * - `PUT {path}/{name}` with `{ "level": "debug" }` (any case) sets the level of `name`;
 *   `{ "level": null }` resets it. It answers the new table, or 400 naming what is wrong (a bad
 *   logger name or level, a body that is not that JSON).
 *
 * Every request first goes through `authorize`; it answers 401 when that says no. Each change is
 * written as an Info line of the logger `effect-fapilog` (and so is who made it, if the
 * application logs it in `authorize`).
 *
 * @example The log-levels route beside the app's routes
 * ```ts
 * import { Effect, Layer, Redacted } from "effect"
 * import { HttpRouter, HttpServerResponse } from "effect/http"
 * import { Fapilog, Sink } from "effect-fapilog"
 * import * as Http from "effect-fapilog/Http"
 *
 * const adminToken = Redacted.make("s3cret") // from your secret store
 * const Routes = HttpRouter.add("GET", "/hello", HttpServerResponse.text("hello"))
 * const Levels = Http.levelsRoute({
 *   authorize: (request) => Effect.succeed(request.headers["authorization"] === `Bearer ${Redacted.value(adminToken)}`)
 * })
 * const App = HttpRouter.serve(Layer.mergeAll(Routes, Levels)).pipe(
 *   Layer.provide(Fapilog.layer({ sinks: [Sink.stdout()] }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category routes
 */
export const levelsRoute = (options: LevelsRouteOptions) => {
  const path = options.path ?? "/admin/log-levels"
  const guarded = <E, R>(
    handler: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
  ): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
      Effect.flatMap(options.authorize(request), (ok) => ok ? handler : Effect.succeed(unauthorized)))
  const table = Effect.map(Logger.levels, (levels) => HttpServerResponse.jsonUnsafe({ levels }))
  const change = Effect.gen(function*() {
    const name = (yield* HttpRouter.params).name ?? ""
    const problem = LevelTable.nameProblem(name)
    if (problem !== undefined) return badRequest(problem)
    const request = yield* HttpServerRequest.HttpServerRequest
    const body = yield* Effect.orElseSucceed(request.json, () => undefined)
    const raw = typeof body === "object" && body !== null && "level" in body ? body.level : undefined
    if (raw === null) {
      yield* Logger.resetLevel(name)
      return yield* table
    }
    const level = LevelTable.parseLevel(raw)
    if (level === undefined) {
      return badRequest(`the body must be {"level": <one of ${LevelTable.levelNames.join(", ")}, any case> or null}`)
    }
    yield* Logger.setLevel(name, level)
    return yield* table
  })
  return HttpRouter.addAll([
    HttpRouter.route("GET", path, guarded(table)),
    HttpRouter.route("PUT", `${path}/:name`, guarded(change))
  ])
}

const unauthorized = HttpServerResponse.jsonUnsafe({ error: "unauthorized" }, { status: 401 })
const badRequest = (error: string) => HttpServerResponse.jsonUnsafe({ error }, { status: 400 })

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

const MESSAGE = "http request"
const REDACTED = "[REDACTED]"
const MAX_ID_LENGTH = 128

const traceparentPattern = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(?:-.*)?$/
const zeros32 = "00000000000000000000000000000000"
const zeros16 = "0000000000000000"
const visibleAscii = /^[\x21-\x7e]+$/

const traceIdOf = (value: string): string | undefined => {
  const m = traceparentPattern.exec(value.trim().toLowerCase())
  if (m === null || m[1] === "ff" || m[2] === zeros32 || m[3] === zeros16) return undefined
  return m[2]
}

const plainId = (value: string): string | undefined => {
  const v = value.trim()
  return v.length > 0 && v.length <= MAX_ID_LENGTH && visibleAscii.test(v) ? v : undefined
}

const decodeKey = (key: string): string => {
  try {
    return decodeURIComponent(key.replace(/\+/g, " "))
  } catch {
    return key
  }
}

const stripQuery = (url: string): string => {
  const q = url.indexOf("?")
  const h = url.indexOf("#")
  const end = q === -1 ? h : h === -1 ? q : Math.min(q, h)
  return end === -1 ? url : url.slice(0, end)
}

/** The path and query of a request URL, which Node servers give as an absolute URL. */
const pathAndQuery = (url: string): string => {
  if (url.length === 0 || url[0] === "/") return url
  const scheme = url.indexOf("://")
  if (scheme === -1) return url
  let i = scheme + 3
  while (i < url.length && url[i] !== "/" && url[i] !== "?" && url[i] !== "#") i++
  const rest = url.slice(i)
  return rest.length === 0 || rest[0] !== "/" ? "/" + rest : rest
}

/** Decodes `%xx` (when valid), collapses repeated slashes, drops a trailing slash. */
const normalizePath = (path: string): string => {
  let decoded = path
  if (path.indexOf("%") !== -1) {
    try {
      decoded = decodeURIComponent(path)
    } catch {
      decoded = path
    }
  }
  return trimSlash(decoded.replace(/\/{2,}/g, "/"))
}

const trimSlash = (path: string): string =>
  path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path

const makeDecide = (rate: number): (id: string) => boolean => {
  // validates the rate at construction (throws a RangeError outside [0, 1])
  Sampler.threshold(rate)
  if (rate >= 1) return () => true
  if (rate <= 0) return () => false
  return (id) => Sampler.decide(id, rate)
}

const requestLine = (
  exit: Exit.Exit<HttpServerResponse.HttpServerResponse, unknown>,
  sent: HttpServerResponse.HttpServerResponse | undefined,
  method: string,
  path: string,
  route: string | undefined,
  durationMs: number
): { readonly level: LogLevel.Severity; readonly fields: Record<string, unknown> } => {
  let response = sent
  let failure: Cause.Cause<unknown> | undefined
  if (exit._tag === "Success") {
    response ??= exit.value
  } else {
    const [fromCause, rest] = HttpServerError.causeResponseStripped(exit.cause)
    if (rest._tag === "Some" && (Cause.hasFails(rest.value) || Cause.hasDies(rest.value))) failure = rest.value
    if (response === undefined) {
      const carriesResponse = exit.cause.reasons.some((r) =>
        r._tag === "Die" && HttpServerResponse.isHttpServerResponse(r.defect)
      )
      // interrupted before any response: the client went away (499) or the server is stopping (503)
      response = carriesResponse || failure !== undefined || !Cause.hasInterrupts(exit.cause)
        ? fromCause
        : isClientAbort(exit.cause)
        ? clientAbort
        : serverAbort
    }
  }
  const status = response.status
  const fields: Record<string, unknown> = { method, path }
  if (route !== undefined) fields.route = route
  fields.status = status
  fields.duration_ms = Math.round(durationMs * 1000) / 1000
  const bytes = contentLength(response)
  if (bytes !== undefined) fields.bytes = bytes
  if (failure !== undefined) fields.error = errorMessage(failure)
  return { level: status >= 500 ? "Error" : "Info", fields }
}

const clientAbort = HttpServerResponse.empty({ status: 499 })
const serverAbort = HttpServerResponse.empty({ status: 503 })

const isClientAbort = (cause: Cause.Cause<unknown>): boolean =>
  cause.reasons.some((r) => r._tag === "Interrupt" && r.annotations.has(HttpServerError.ClientAbort.key))

const contentLength = (response: HttpServerResponse.HttpServerResponse): number | undefined => {
  const body = response.body
  if (body._tag === "Empty") return 0
  if ("contentLength" in body && typeof body.contentLength === "number") return body.contentLength
  const header = response.headers["content-length"]
  if (header === undefined) return undefined
  const n = Number(header)
  return Number.isInteger(n) && n >= 0 ? n : undefined
}

const errorMessage = (cause: Cause.Cause<unknown>): string => {
  const e = Cause.squash(cause)
  if (e instanceof Error) return e.message === "" ? e.name : `${e.name}: ${e.message}`
  if (typeof e === "object" && e !== null && "_tag" in e) return String((e as { _tag: unknown })._tag)
  return thrownMessage(e)
}
