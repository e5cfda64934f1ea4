import {
  Controller,
  ForbiddenException,
  Get,
  Next,
  type HttpException,
  Inject,
  type LoggerService,
  NotFoundException,
  type OnModuleInit,
  Param,
  Req,
  Res,
  type Type,
  VERSION_NEUTRAL,
} from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { ServerResponse } from 'node:http';
import { HEALTH_LOGGER, RESOLVED_HEALTH_OPTIONS } from '../../core/health.constants.js';
import { messages } from '../../core/health.messages.js';
import type { ResolvedHealthOptions } from '../../options/health.options.js';
import { HealthMetrics } from '../../observability/health.metrics.js';
import { HealthService } from '../../health.service.js';
import type { ProbeAccess } from '../../interfaces/health-module-options.interface.js';
import { rawRequest, type HttpRequest } from './http.request.js';
import { InternalNetworkGuard } from './internal-network.guard.js';
import { attempt, isThenable, andThen, type Maybe } from '../../core/maybe-promise.js';
import { checkAccess, type ProbeDefinition } from '../../core/probe.definitions.js';
import type { ProbeResult } from '../../core/probe.evaluator.js';
import {
  readingOf,
  STATUS_ONLY,
  TEXT,
  toHttpAnswer,
  unexpectedAnswer,
  type HttpAnswer,
  type Reading,
} from './http.answer.js';

/** Nest's own answer for a route that does not exist, to throw through the exception filters. */
function notFound(request: HttpRequest): NotFoundException {
  const raw = rawRequest(request) as { method?: string; url?: string; originalUrl?: string };
  return new NotFoundException(`Cannot ${raw.method} ${raw.originalUrl ?? raw.url}`);
}

/**
 * @internal Creates the controller of the health routes: the HTTP adapter of the probes. Its
 * routes (see `defineProbeRoutes`) are added when the module is built; the route prefix is the
 * module's path in each application.
 */
export function createHealthController(): Type<unknown> {
  // Version-neutral: enabling URI versioning with a default version must not move the probes
  // away from the paths in the manifest.
  @Controller({ version: VERSION_NEUTRAL })
  class HealthController implements OnModuleInit {
    constructor(
      private readonly health: HealthService,
      private readonly adapterHost: HttpAdapterHost,
      @Inject(RESOLVED_HEALTH_OPTIONS) private readonly options: ResolvedHealthOptions,
      private guard: InternalNetworkGuard,
      private readonly moduleRef: ModuleRef,
      @Inject(HEALTH_LOGGER) private readonly logger: LoggerService,
      private readonly prometheus: HealthMetrics,
    ) {}

    /**
     * Swaps in the `guard` option's subclass, once every provider is constructed: the app's own
     * instance when it provides one, else one created in this module.
     */
    async onModuleInit(): Promise<void> {
      const { guard } = this.options;
      if (guard === InternalNetworkGuard) return;
      try {
        this.guard = this.moduleRef.get(guard, { strict: false });
      } catch {
        this.guard = await this.moduleRef.create(guard);
      }
    }

    /** Prometheus metrics (the `metrics` option; internal callers only); 200 even when unhealthy. */
    @Get('metrics')
    metrics(@Req() request: HttpRequest, @Res() response: unknown) {
      if (!this.prometheus.enabled) throw notFound(request);
      return this.decide(request, 'internal', (internal) => {
        if (!internal) return this.deny(request, response);
        return this.prometheus.render().then(
          ({ contentType, body }) => this.send(response, 200, contentType, body, 'metrics'),
          (error: unknown) => {
            this.logger.error(`The metrics could not be rendered: ${String(error)}`);
            this.send(response, 500, TEXT, 'metrics unavailable\n', 'metrics');
          },
        );
      });
    }

    /** A probe or group, read as the caller may read it; `name` is its name on the route. */
    serveProbe(request: HttpRequest, response: unknown, name: string) {
      const probe = this.health.probes.find((definition) => definition.name === name);
      if (probe === undefined) throw notFound(request);
      const { access } = probe;
      return this.decide(request, access, (internal) => {
        // What to read (?verbose, ?exclude, Accept: text/plain) is for internal callers only.
        const reading = internal ? readingOf(request) : STATUS_ONLY;
        if (!internal && access !== 'status') return this.deny(request, response);
        return this.write(response, probe.name, reading, () =>
          this.health.answer(probe.name, reading.exclude),
        );
      });
    }

    /** One check of a probe or group; 404 for a name it does not have. */
    serveCheck(request: HttpRequest, response: unknown, name: string, check: string) {
      const probe = this.health.probes.find((definition) => definition.name === name);
      if (probe === undefined || !probe.checkRoutes) throw notFound(request);
      return this.decide(request, checkAccess(probe), (internal) => {
        if (!internal) return this.deny(request, response);
        return this.write(
          response,
          check,
          readingOf(request),
          () => this.health.answerCheck(probe.name, check),
          () => {
            // Like Nest's own 404, but uncacheable like every answer of a health route.
            this.adapterHost.httpAdapter.setHeader(response, 'Cache-Control', 'no-store');
            throw notFound(request);
          },
        );
      });
    }

    /**
     * A group of a factory's options, on the routes that take any name: one the application does
     * not have is handed on to the routes after these (Express), or answered as Nest answers a
     * route that does not exist (Fastify, where static routes of the app already come first).
     */
    serveGroup(request: HttpRequest, response: unknown, next: unknown, check?: string) {
      const name = rawSegment(request, check === undefined ? 1 : 2);
      const probe = this.health.probes.find(
        (definition) => definition.kind === 'group' && this.sameName(definition.name, name),
      );
      if (probe !== undefined) {
        return check === undefined
          ? this.serveProbe(request, response, probe.name)
          : this.serveCheck(request, response, probe.name, check);
      }
      if (typeof next === 'function') return void (next as () => void)();
      throw notFound(request);
    }

    /** Whether a route's name matches a group's, as the adapter's own routes would match it. */
    private sameName(name: string, given: string | undefined): boolean {
      if (given === undefined) return false;
      if (name === given) return true;
      const instance = this.adapterHost.httpAdapter?.getInstance?.() as
        | { enabled?: (setting: string) => boolean; initialConfig?: { caseSensitive?: boolean } }
        | undefined;
      const caseSensitive =
        typeof instance?.enabled === 'function'
          ? instance.enabled('case sensitive routing')
          : instance?.initialConfig?.caseSensitive !== false;
      return !caseSensitive && name.toLowerCase() === given.toLowerCase();
    }

    /**
     * Runs `next` with whether the caller is internal (always, on a public route). A guard override
     * that throws, or answers anything but `true`, admits nobody: the caller is treated as external.
     */
    private decide(
      request: HttpRequest,
      access: ProbeAccess,
      next: (internal: boolean) => Maybe<void>,
    ): Maybe<void> {
      if (access === 'public') return next(true);
      const failed = (error: unknown) => {
        this.logger.error(`The health route guard failed: ${String(error)}`);
        return false;
      };
      const admitted = attempt(() => {
        const verdict = this.guard.admits(request);
        return isThenable(verdict) ? Promise.resolve(verdict) : verdict;
      }, failed);
      return andThen(admitted, (verdict) => next(verdict === true));
    }

    /**
     * Writes what `answer` gives (`missing` when it gives nothing); a bug of ours still answers
     * like a failed probe, never as a 500 with a stack.
     */
    private write(
      response: unknown,
      subject: string,
      reading: Reading,
      answer: () => Maybe<ProbeResult> | undefined,
      missing: () => void = () => undefined,
    ): Maybe<void> {
      const failed = (error: unknown): void => {
        this.logger.error(`The ${subject} probe failed unexpectedly`, (error as Error)?.stack);
        this.reply(response, unexpectedAnswer(), STATUS_ONLY, subject);
      };
      let pending: Maybe<ProbeResult> | undefined;
      try {
        pending = answer();
      } catch (error) {
        return failed(error);
      }
      if (pending === undefined) return missing();
      const ready = pending;
      return attempt(
        () =>
          andThen(ready, (result) => this.reply(response, toHttpAnswer(result), reading, subject)),
        failed,
      );
    }

    private reply(response: unknown, answer: HttpAnswer, reading: Reading, subject: string): void {
      const { statusCode } = answer;
      if (!reading.full) {
        this.send(response, statusCode, answer.contentType, answer.statusBody, subject);
      } else if (reading.verbose) {
        this.send(response, statusCode, TEXT, answer.text(subject), subject);
      } else this.send(response, statusCode, answer.contentType, answer.body, subject);
    }

    /**
     * What an external caller gets, through Nest's exception filters: a 404 must be exactly what
     * the application answers for a route that does not exist, global filters included.
     */
    private deny(request: HttpRequest, response: unknown): never {
      let denial: HttpException;
      try {
        denial = this.guard.denial(request);
      } catch (error) {
        this.logger.error(`The health route guard's denial() failed: ${String(error)}`);
        denial = new ForbiddenException();
      }
      if (denial.getStatus() !== 404) {
        this.adapterHost.httpAdapter.setHeader(response, 'Cache-Control', 'no-store');
      }
      throw denial;
    }

    private send(
      response: unknown,
      status: number,
      contentType: string,
      body: string,
      subject: string,
    ): void {
      if (this.answered(response)) {
        this.logger.error(messages.answeredBeforeProbe(subject));
        return;
      }
      // Express hands over Node's own response: written directly, it skips Express' send(),
      // which would hash the body for an ETag (and could answer 304) on every probe.
      if (response instanceof ServerResponse) {
        response.statusCode = status;
        response.setHeader('Cache-Control', 'no-store');
        response.setHeader('Content-Type', contentType);
        response.setHeader('Content-Length', Buffer.byteLength(body));
        response.end(body);
        return;
      }
      const http = this.adapterHost.httpAdapter;
      http.setHeader(response, 'Cache-Control', 'no-store');
      http.setHeader(response, 'Content-Type', contentType);
      http.reply(response, body, status);
    }

    /** Whether something else (an interceptor's timeout, a filter) answered the request first. */
    private answered(response: unknown): boolean {
      const raw = (response as { raw?: ServerResponse }).raw ?? response;
      return (raw as Partial<ServerResponse>).headersSent === true;
    }
  }
  return HealthController;
}

interface ProbeRoutes {
  serveProbe(request: unknown, response: unknown, name: string): Maybe<void>;
  serveCheck(request: unknown, response: unknown, name: string, check: string): Maybe<void>;
  serveGroup(request: unknown, response: unknown, next: unknown, check?: string): Maybe<void>;
}

/** What a route hands its handler after the request and the response. */
type RouteArg = 'check' | 'next';

/** Adds a handler to the controller's prototype, as the decorators on a written method would. */
function route(
  controller: Type<unknown>,
  key: string,
  path: string,
  handler: (this: ProbeRoutes, ...args: never[]) => unknown,
  args: readonly RouteArg[] = [],
): void {
  const proto = controller.prototype as Record<string, unknown>;
  Object.defineProperty(proto, key, { value: handler, configurable: true, writable: true });
  const descriptor = Object.getOwnPropertyDescriptor(proto, key)!;
  Req()(proto, key, 0);
  Res()(proto, key, 1);
  args.forEach((arg, i) => (arg === 'check' ? Param('name') : Next())(proto, key, i + 2));
  Get(path)(proto, key, descriptor);
}

/** @internal A route of the controller: a probe's or a group's name, and whether it has check routes. */
export type ProbeRoute = Pick<ProbeDefinition, 'name' | 'checkRoutes'>;

/**
 * @internal Adds the routes of `probes` to the controller: `<name>` for each, and `<name>/:name`
 * for one of its checks where it answers for them; with `anyGroup`, `:group` and `:group/:check`
 * after them (`:group/:name`), for groups known only once an application resolves its options (`forRootAsync()`).
 * Called when the module is built, before any application reads the controller.
 */
export function defineProbeRoutes(
  controller: Type<unknown>,
  probes: readonly ProbeRoute[],
  { anyGroup = false } = {},
): void {
  for (const probe of probes) {
    const { name } = probe;
    route(controller, probeRouteKey(probe), name, function (request, response) {
      return this.serveProbe(request, response, name);
    });
    if (!probe.checkRoutes) continue;
    route(
      controller,
      checkRouteKey(probe),
      `${name}/:name`,
      function (request, response, check: string) {
        return this.serveCheck(request, response, name, check);
      },
      ['check'],
    );
  }
  if (!anyGroup) return;
  route(
    controller,
    ANY_GROUP_KEY,
    ':group',
    function (request, response, next: unknown) {
      return this.serveGroup(request, response, next);
    },
    ['next'],
  );
  route(
    controller,
    ANY_GROUP_CHECK_KEY,
    ':group/:name',
    function (request, response, check: string, next: unknown) {
      return this.serveGroup(request, response, next, check);
    },
    ['check', 'next'],
  );
}

/** @internal The controller method of a probe's route. */
export const probeRouteKey = (probe: Pick<ProbeDefinition, 'name'>) => `probe ${probe.name}`;
/** @internal The controller method of the route of one of a probe's checks. */
export const checkRouteKey = (probe: Pick<ProbeDefinition, 'name'>) => `probe ${probe.name} check`;
/** @internal The controller methods of the routes that take any group's name. */
export const ANY_GROUP_KEY = 'group';
export const ANY_GROUP_CHECK_KEY = 'group check';

/** The `index`-th segment of the request's path from its end, as sent (not decoded). */
function rawSegment(request: HttpRequest, index: number): string | undefined {
  const raw = rawRequest(request) as { url?: string; originalUrl?: string };
  const path = (raw.originalUrl ?? raw.url ?? '').split('?')[0].replace(/\/$/, '');
  const segments = path.split('/');
  return segments[segments.length - index];
}
