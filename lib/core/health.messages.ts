import type { Problem } from './option.rules.js';

/**
 * @internal Every start-up error and log line of the library, in one place, each saying what to change.
 */
const list = (values: readonly string[]) => values.map((v) => `"${v}"`).join(', ');

/** What is wrong at a path of options: its value and what is valid, or an unknown key. */
function problemText(problem: Problem, subject: string, prefix: string): string {
  if (problem.kind === 'invalid') {
    return `${prefix}"${problem.at}" is ${describe(problem.value)}; it must be ${problem.valid}.`;
  }
  return problem.at === ''
    ? `${subject} has no option "${problem.key}". Known options: ${list(problem.known)}.`
    : `${prefix}"${problem.at}" has no key "${problem.key}". Known keys: ${list(problem.known)}.`;
}

/** The one line of main.ts that hands an application's shutdown over to the health module. */
const HANDLE_SHUTDOWN = 'app.get(HealthService).handleShutdown(app)';

export const messages = {
  invalidOption: (option: string, value: unknown, valid: string) =>
    `HealthModule option "${option}" is ${describe(value)}; it must be ${valid}.`,
  moduleOptionProblem: (problem: Problem) =>
    problemText(problem, 'HealthModule', 'HealthModule option '),
  optionsNotObject: (value: unknown) =>
    value === undefined || value === null
      ? `HealthModule got ${describe(value)} for its options: a forRootAsync() factory (or createHealthOptions()) must return the options object (a function with a block body needs "return"), or {} for every default.`
      : `HealthModule options must be an object, got ${describe(value)}.`,
  buildTimeOption: (key: string) =>
    `HealthModule option "${key}" shapes the module when it is built: give it to HealthModule.forRootAsync() itself, beside useFactory (or useClass, useExisting), not from the options factory.`,
  answeredBeforeProbe: (subject: string) =>
    `The ${subject} answer was not sent: something else had already answered the request (an interceptor's timeout, an exception filter). Health routes answer within probeTimeoutMs: exempt them from that interceptor (controllerDecorators), or give it a longer timeout.`,
  listenerRefuses: (kind: string, where: string) =>
    `the application's ${kind} server (${where}) refuses connections`,
  listenerStopped: (kind: string) => `the application's ${kind} server has stopped listening`,
  nestTooOld: (feature: string, release: string) =>
    `HealthModule needs ${feature}, which this release of @nestjs/core does not have: upgrade @nestjs/core (and @nestjs/common) to ${release} or later.`,
  notConfigured:
    'HealthModule is imported as a class: import HealthModule.forRoot() (or HealthModule.forRootAsync()) instead, once, in the root module.',
  indicatorOptionProblem: (cls: string, problem: Problem) =>
    problemText(problem, `@HealthIndicator() on ${cls}`, `@HealthIndicator() on ${cls}: `),
  duplicateName: (name: string, first: string, second: string, sameClass: boolean) =>
    sameClass
      ? `Health indicator "${name}" (${first}) is provided in more than one module, so it would run twice. Provide ${first} in one module and import that module where it is needed.`
      : `Health indicator "${name}" is declared twice: in ${first} and in ${second}. Give one of them another name${first.includes('(') ? ' (a built-in indicator takes it in register({ name }))' : ''}.`,
  reservedName: (name: string, cls: string) =>
    `Health indicator name "${name}" on ${cls} is reserved for the deep probe's process diagnostics. Give it another name.`,
  missingCheck: (cls: string) =>
    `${cls} is decorated with @HealthIndicator() but has no check() method. Add "async check(signal: AbortSignal): Promise<CheckResult | void>" (implement HealthCheck).`,
  notSingleton: (cls: string, scope: string) =>
    `Health indicator ${cls} is ${scope}; indicators must be singletons (the default scope) because probes run outside any request. Remove the scope, or inject what needs a request through ModuleRef.resolve() inside check().`,
  invalidCidr: (option: string, cidr: unknown) =>
    `HealthModule option "${option}" holds ${describe(cidr)}, which is not a CIDR; use an IPv4 or IPv6 address with an optional prefix length, such as "10.0.0.0/8" or "fd00::/8".`,
  shutdownBegins: (signal: string | undefined, delayMs: number) =>
    `${signal ?? 'beginShutdown()'}: readiness now fails; closing in ${delayMs} ms, while the endpoints are withdrawn`,
  shutdownAtOnce: (signal: string, why: string) =>
    `${signal}: readiness now fails, but Nest closes the application at once (app.enableShutdownHooks() ${why}): no delay, no drain. Call ${HANDLE_SHUTDOWN} in main.ts instead of enableShutdownHooks().`,
  shutdownFailed: 'Graceful shutdown failed',
  drained: (ms: number) => `HTTP server drained in ${ms} ms; closing the application`,
  shutdownTooSlow: (gracePeriodMs: number) =>
    `Shutdown did not finish within the grace period of ${gracePeriodMs} ms; exiting before the kubelet kills the process. Look for requests or onModuleDestroy hooks that do not end.`,
  delayExceedsGrace: (delayMs: number, gracePeriodMs: number) =>
    `shutdown.delayMs (${delayMs} ms) is not shorter than shutdown.gracePeriodMs (${gracePeriodMs} ms, the pod's terminationGracePeriodSeconds): the kubelet would kill the pod before it has drained. Lower delayMs, or raise terminationGracePeriodSeconds and gracePeriodMs together.`,
  timeoutExceedsProbe: (name: string, timeoutMs: number, probeTimeoutMs: number) =>
    `Health indicator "${name}" has timeoutMs ${timeoutMs}, at or above the probe timeout of ${probeTimeoutMs} ms (probeTimeoutMs): the kubelet gives up before the indicator does, and the probe fails without saying why. Lower timeoutMs, or raise the probe's timeoutSeconds and probeTimeoutMs together.`,
  importedTwice:
    'HealthModule.forRoot() (or forRootAsync()) is imported more than once in this application: each copy would register the same routes and discover every indicator again. Import it once, in the root module: it is global, so HealthService can be injected everywhere.',
  unsafeRedactionRule: (pattern: string) =>
    `HealthModule option "redact": the rule ${pattern.length > 80 ? pattern.slice(0, 80) + '…' : pattern} takes much longer than its input on short repetitive texts (catastrophic backtracking): on a long output it could stall the event loop. Make its quantified parts unambiguous (no nested or adjacent quantifiers over the same characters), or anchor it.`,
  peerMissing: (indicator: string, pkg: string) =>
    `${indicator} needs the "${pkg}" package, which is not installed. Install it: npm install ${pkg}`,
  clientTokenMissing: (indicator: string) =>
    `${indicator}.register() needs "client": the injection token of your application's client (for example the class of the client, or the token you provide it under).`,
  clientNotFound: (indicator: string, missing: string) =>
    `${indicator} found no client to check: ${missing}`,
  handleMissing: (indicator: string, what: string, token: unknown, how: string) =>
    `${indicator} found no ${what}: nothing is provided under ${typeof token === 'string' ? `"${token}"` : String(token)}. ${how}`,
  transportUnsupported: (indicator: string, transport: string) =>
    `${indicator} does not support ${transport} yet. Cover it with an indicator of your own, or keep terminus' check through TerminusHealthIndicator (docs/indicators.md: "Kafka").`,
  badClient: (indicator: string, expected: string, methods: readonly string[], got: unknown) =>
    `${indicator} needs ${expected} (an object with ${methods.map((m) => `${m}()`).join(', ')}), got ${describe(got)}. Check the "client" token you registered it with.`,
  unknownSetting: (
    indicator: string,
    setting: string,
    settings: readonly string[],
    decoratorOptions: readonly string[],
  ) =>
    `${indicator} has no setting or option "${setting}". Its settings: ${list(settings) || 'none'}; the options of every indicator: ${list(decoratorOptions)}.`,
  badSetting: (indicator: string, setting: string, got: unknown, valid: string) =>
    `${indicator}: "${setting}" is ${describe(got)}; it must be ${valid}.`,
  slowCheck: (check: string, ms: number, slowCheckMs: number) =>
    `Health check "${check}" took ${Math.round(ms)} ms, more than slowCheckMs (${slowCheckMs} ms)`,
  checkReadsItself: (check: string) =>
    `check() read a probe or group that includes "${check}" itself, which cannot wait for its own result; leave it out: HealthService.check(probe, { exclude: ['${check}'] })`,
  checkFailed: (check: string, output?: string) =>
    `Health check "${check}" failed${output ? `: ${output}` : ''}`,
  checkNotPassingYet: (check: string, output?: string) =>
    `Health check "${check}" is not passing yet${output ? `: ${output}` : ''}`,
  checkPassesNow: (check: string, afterMs: number) =>
    `Health check "${check}" passes, ${(afterMs / 1000).toFixed(1)} s after its first run`,
  checkNeverPassed: (check: string, sinceBootMs: number, output?: string) =>
    `Health check "${check}" failed${output ? `: ${output}` : ''} (it has not passed once in the ${(sinceBootMs / 1000).toFixed(1)} s since the application started)`,
  checkDegraded: (check: string, output?: string) =>
    `Health check "${check}" is degraded${output ? `: ${output}` : ''}`,
  checkRecovered: (check: string, from: string, since: number | undefined, at: number) =>
    since === undefined
      ? `Health check "${check}" passes again (was ${from})`
      : `Health check "${check}" recovered after ${((at - since) / 1000).toFixed(1)} s down`,
  shutdownHooksAtOnce: (why: string) =>
    `app.enableShutdownHooks() ${why} closes the application as soon as the signal arrives, before the shutdown delay and the drain. Replace it with ${HANDLE_SHUTDOWN} in main.ts, right after creating the application: HealthModule then fails readiness, waits out the delay, drains, and calls app.close(), which runs every hook.`,
  shutdownNotHandled: (signals: readonly string[]) =>
    `Nothing closes this application on ${signals.join(' or ')}: neither app.enableShutdownHooks() nor ${HANDLE_SHUTDOWN} was called. Call ${HANDLE_SHUTDOWN} in main.ts, right after creating the application: HealthModule then fails readiness, waits out the delay, drains, and calls app.close(), which runs every hook. Without it, the process exits with code 1 after the delay, without running them.`,
  shutdownNotClosed: (trigger: string) =>
    `${trigger}: nothing closed the application after the shutdown delay (no app.enableShutdownHooks() for this signal, no ${HANDLE_SHUTDOWN}), so its shutdown hooks did not run; exiting with code 1. Call ${HANDLE_SHUTDOWN} in main.ts.`,
  handleShutdownOtherApp:
    'HealthService.handleShutdown(app) was given an application this HealthService is not part of: pass the application it was read from, as in app.get(HealthService).handleShutdown(app).',
  noServerRegistry: (release: string) =>
    `This @nestjs/core has no registry of microservice servers (ModulesContainer.getRpcTargetRegistry(), ${release} and later, the floor of nestjs-probes' peer range): microservice servers are not stopped after the shutdown delay, and gRPC Watch streams are not ended before their server closes. Upgrade @nestjs/core and @nestjs/microservices to ${release} or later.`,
  probeServerListening: (host: string, port: number, grpcPort?: number) => {
    const address = host.includes(':') ? `[${host}]` : host;
    const grpc = grpcPort === undefined ? '' : ` (gRPC health on ${address}:${grpcPort})`;
    return `Probe server listening on ${address}:${port}${grpc}`;
  },
  probeServerGrpcMissing:
    'HealthModule option "probeServer.grpcPort" serves grpc.health.v1 from the probe server\'s worker with @grpc/grpc-js, which is not installed. Install it: npm install @grpc/grpc-js',
  probeServerCannotListen: (
    server: { host: string; port: number },
    code: string,
    message: string,
    option: 'port' | 'grpcPort' = 'port',
  ) => {
    const where = `${server.host}:${server.port}`;
    if (code === 'EADDRINUSE') {
      return `HealthModule option "probeServer.${option}": port ${server.port} is already in use on ${server.host}. Choose a free port for the probe server, and the probes' port in the manifest with it.`;
    }
    if (code === 'EACCES') {
      return `HealthModule option "probeServer.${option}": listening on port ${server.port} needs privileges the process does not have (EACCES). Use a port above 1023, such as ${option === 'port' ? 9000 : 9001}.`;
    }
    if (['EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'EAFNOSUPPORT', 'EINVAL'].includes(code)) {
      return `HealthModule option "probeServer.host": "${server.host}" is not an address this machine can listen on (${code}). Use '0.0.0.0' (every IPv4 interface), '::' (every interface) or an address of the pod.`;
    }
    return `The probe server could not listen on ${where}: ${message}`;
  },
  probeServerScriptMissing: (path: string) =>
    `The probe server's worker script is missing (${path}): the probe server runs from the built package, not from its TypeScript sources. Build it (npm run build) or install the package.`,
  probeServerExited: (code: number) => `The probe server's worker stopped (exit code ${code})`,
  probeServerDied: (code: number, restartMs: number) =>
    `The probe server's worker stopped (exit code ${code}); starting it again in ${restartMs} ms`,
  probeServerReleased: (reason: string) =>
    `The application's HTTP server could not listen (${reason}): the probe server closes, so that the probes fail as the application's port does`,
  probeServerGuard: (guard: string) =>
    `HealthModule: the guard ${guard} decides who is internal on the application's port only. The probe server decides by internalNetworks and trustProxy, in its own thread: keep its port out of the Service (as a containerPort only the kubelet and in-cluster callers reach).`,
  unknownProbe: (probe: string, known: readonly string[]) =>
    `Unknown probe or group "${probe}": use ${list(known)}.`,
  grpcPeersMissing: (missing: readonly string[]) =>
    `HealthModule option "grpc" serves the gRPC health service through Nest's gRPC transport, which needs ${list(missing)}: ${missing.length === 1 ? 'it is' : 'they are'} not installed. Install ${missing.length === 1 ? 'it' : 'them'}: npm install ${missing.join(' ')}`,
  grpcServedTwice: (url: string, cause: string) =>
    `The gRPC server on ${url} would serve grpc.health.v1.Health twice (${cause}): HealthModule (option "grpc") adds it to every gRPC server whose "package" lists HEALTH_GRPC_PACKAGE, and something else added it first (an onLoadPackageDefinition of the application's own?). Keep one: remove the other, or HEALTH_GRPC_PACKAGE from this server's "package".`,
  grpcAliasTaken: (group: string, alias: string, option: string) =>
    `Health group "${group}" takes a name the gRPC health service gives the ${alias} probe (HealthModule option "${option}" is on). Give the group another name.`,
  grpcUnknownService: (service: string, known: readonly string[]) =>
    `Unknown health service "${service.length > 64 ? service.slice(0, 64) + '…' : service}": use ${list(known)}, "liveness" or "readiness".`,
  grpcTooManyWatches: (max: number) =>
    `Too many Watch streams are open (grpc.maxWatchStreams: ${max}); retry later, or use Check.`,
  grpcWatchNotRead:
    'The client has left this Watch stream unread while its status kept changing; it is closed. Read the stream, or use Check.',
  grpcFailed: (subject: string) => `The gRPC health service failed unexpectedly on ${subject}`,
  autoIndicatorNotFound: (option: string, name: string, found: readonly string[]) =>
    `HealthModule option "${option}" names "${name}", which is not a check auto-discovery made${found.length ? `: it found ${list(found)}` : ': it found no client to check'}. Fix the name (see the start-up log line "Auto-discovered"), or register an indicator for that client yourself and set its probes there.`,
  autoIndicatorExcludedAndPromoted: (name: string, option: string) =>
    `HealthModule option "autoIndicators.exclude" leaves "${name}" out, but "${option}" names it too. Keep it in one of them.`,
  autoIndicatorsFound: (found: readonly string[], left: readonly string[]) =>
    `Auto-discovered ${found.length} client(s) to check${found.length ? `: ${found.join('; ')}` : ''}${left.length ? `. Not checked: ${left.join('; ')}` : ''}`,
  unknownGroupCheck: (group: string, check: string, known: readonly string[]) =>
    `Health group "${group}" includes "${check}", which is not a health indicator of this application${known.length ? ` (its indicators: ${list(known)})` : ' (it has none)'}. Fix the name in groups.${group}.include, or provide the indicator.`,
};

/** @internal Describes a bad value for an error message without dumping it whole. */
export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return `"${value.length > 60 ? value.slice(0, 60) + '…' : value}"`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${String(value)}`;
  }
  if (Array.isArray(value))
    return `an array of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (value instanceof RegExp) return `the RegExp ${String(value).slice(0, 60)}`;
  return 'an object';
}
