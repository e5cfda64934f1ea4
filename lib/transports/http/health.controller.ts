import {
  Controller,
  ForbiddenException,
  Get,
  type HttpException,
  Inject,
  type LoggerService,
  NotFoundException,
  type OnModuleInit,
  Req,
  Res,
  type Type,
  VERSION_NEUTRAL,
} from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { ServerResponse } from 'node:http';
import { checkAccess, decideAccess } from '../../core/access.js';
import { HEALTH_LOGGER, RESOLVED_HEALTH_OPTIONS } from '../../core/health.constants.js';
import { messages } from '../../core/health.messages.js';
import { andThen, attempt, isThenable, type MaybePromise } from '../../core/maybe-promise.js';
import { STATUS_ONLY, type ProbeReading } from '../../core/probe.reading.js';
import type { ProbeResult } from '../../core/probe-result.js';
import { findName, type StatusPart } from '../../core/route.matcher.js';
import { HealthService } from '../../health.service.js';
import type { ProbeAccess } from '../../interfaces/health-check.interface.js';
import { HealthMetrics } from '../../observability/health.metrics.js';
import type { ResolvedHealthOptions } from '../../options/health.options.js';
import { httpReply, TEXT, UNEXPECTED, type HttpReply } from './http.answer.js';
import { rawRequest, rawSegment, readingOfRequest, type HttpRequest } from './http.request.js';
import { InternalNetworkGuard } from './internal-network.guard.js';
import { routeSettingsOf } from './route-settings.js';
import { StatusFeed } from './status-page/status.feed.js';

/** Nest's own answer for a route that does not exist, to throw through the exception filters. */
function notFound(request: HttpRequest): NotFoundException {
  const raw = rawRequest(request) as { method?: string; url?: string; originalUrl?: string };
  return new NotFoundException(`Cannot ${raw.method} ${raw.originalUrl ?? raw.url}`);
}

/**
 * A route that takes any name, for a name the application does not serve: handed on to the
 * routes after it (Express), or answered as Nest answers a route that does not exist.
 */
function handOn(request: HttpRequest, next: unknown): void {
  if (typeof next === 'function') return void (next as () => void)();
  throw notFound(request);
}

/**
 * @internal Creates the controller of the health routes: the HTTP adapter of the probes, on the
 * app's port. Its routes (`defineProbeRoutes`) are added when the module is built; the route
 * prefix is the module's path in each application. Access, reading and reply are the core's and
 * `httpReply()`'s, as on the probe server: this only hands them Nest's request and writes.
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
      private readonly statusPage: StatusFeed,
    ) {}

    /**
     * Swaps in the `guard` option's subclass, once every provider is constructed: the app's own
     * instance when it provides one, else one created in this module.
     */
    async onModuleInit(): Promise<void> {
      const guard = this.options.guard as Type<InternalNetworkGuard>;
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
      return this.decide(request, 'internal', (access) => {
        if (access !== 'whole') return this.deny(request, response);
        return this.prometheus.render().then(
          ({ contentType, body }) => this.send(response, { statusCode: 200, contentType, body }),
          (error: unknown) => {
            this.logger.error(`The metrics could not be rendered: ${String(error)}`);
            const failed = { statusCode: 500, contentType: TEXT, body: 'metrics unavailable\n' };
            this.send(response, failed);
          },
        );
      });
    }

    /** A probe or group, read as the caller may read it; `name` is its name on the route. */
    serveProbe(request: HttpRequest, response: unknown, name: string) {
      const probe = this.health.probe(name);
      if (probe === undefined) throw notFound(request);
      return this.decide(request, probe.access, (access) => {
        if (access === 'denied') return this.deny(request, response);
        // What to read (?verbose, ?exclude, Accept: text/plain) is for internal callers only.
        const reading = access === 'status' ? STATUS_ONLY : readingOfRequest(request);
        return this.write(response, probe.name, reading, () =>
          this.health.answer(probe, reading.exclude),
        );
      });
    }

    /** One check of a probe or group; Nest's 404 (uncacheable) for a name it does not have. */
    serveCheck(request: HttpRequest, response: unknown, name: string, check: string) {
      const probe = this.health.probe(name);
      if (probe === undefined || !probe.answersPerCheck) throw notFound(request);
      return this.decide(request, checkAccess(probe.access), (access) => {
        if (access !== 'whole') return this.deny(request, response);
        const answer = this.health.answerCheck(probe, check);
        if (answer === undefined) {
          this.adapterHost.httpAdapter.setHeader(response, 'Cache-Control', 'no-store');
          throw notFound(request);
        }
        return this.write(response, check, readingOfRequest(request), () => answer);
      });
    }

    /**
     * A group of a factory's options, on the routes that take any name: one the application does
     * not have is handed on to the routes after these (Express), or answered as Nest answers a
     * route that does not exist (Fastify, where static routes of the app already come first).
     */
    serveGroup(request: HttpRequest, response: unknown, next: unknown, check?: string) {
      const groups = this.health.probes.filter((probe) => probe.kind === 'group');
      const settings = routeSettingsOf(this.adapterHost.httpAdapter, []);
      const segment = rawSegment(request, check === undefined ? 1 : 2);
      const name = findName(
        segment,
        groups.map((group) => group.name),
        settings,
      );
      if (name !== undefined) {
        return check === undefined
          ? this.serveProbe(request, response, name)
          : this.serveCheck(request, response, name, check);
      }
      return handOn(request, next);
    }

    /** The status page or its stream (the `statusPage` option), read as one check of `deep` is. */
    serveStatus(request: HttpRequest, response: unknown, part: StatusPart, next: unknown) {
      // Defined for a factory's options too (forRootAsync()), which may not turn the page on.
      if (!this.statusPage.enabled) return handOn(request, next);
      return this.decide(request, checkAccess(this.health.probe('deep')!.access), (access) => {
        if (access !== 'whole') return this.deny(request, response);
        this.statusPage.serve(part, request, response);
      });
    }

    /**
     * Runs `next` with what the caller may read (always the whole, on a public route). A guard
     * override that throws, or answers anything but `true`, admits nobody: the caller is external.
     */
    private decide(
      request: HttpRequest,
      access: ProbeAccess,
      next: (decision: ReturnType<typeof decideAccess>) => MaybePromise<void>,
    ): MaybePromise<void> {
      if (access === 'public') return next('whole');
      const failed = (error: unknown) => {
        this.logger.error(`The health route guard failed: ${String(error)}`);
        return false;
      };
      const admitted = attempt<unknown>(() => {
        const verdict = this.guard.admits(request);
        return isThenable(verdict) ? Promise.resolve(verdict) : verdict;
      }, failed);
      return andThen(admitted, (verdict) => next(decideAccess(access, verdict === true)));
    }

    /**
     * Writes what `answer` gives; a bug of ours still answers like a failed probe, never as a
     * 500 with a stack.
     */
    private write(
      response: unknown,
      subject: string,
      reading: ProbeReading,
      answer: () => MaybePromise<ProbeResult>,
    ): MaybePromise<void> {
      const failed = (error: unknown): void => {
        this.logger.error(`The ${subject} probe failed unexpectedly`, (error as Error)?.stack);
        this.send(response, UNEXPECTED, subject);
      };
      return attempt(
        () =>
          andThen(answer(), (result) =>
            this.send(response, httpReply(result, reading, subject), subject),
          ),
        failed,
      );
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

    private send(response: unknown, reply: HttpReply, subject = 'metrics'): void {
      const raw = ((response as { raw?: ServerResponse }).raw ?? response) as ServerResponse;
      // Something else (an interceptor's timeout, a filter) answered the request first.
      if (raw.headersSent === true) {
        this.logger.error(messages.answeredBeforeProbe(subject));
        return;
      }
      // Express hands over Node's own response: written directly, it skips Express' send(),
      // which would hash the body for an ETag (and could answer 304) on every probe.
      if (response instanceof ServerResponse) {
        response.statusCode = reply.statusCode;
        response.setHeader('Cache-Control', 'no-store');
        response.setHeader('Content-Type', reply.contentType);
        response.setHeader('Content-Length', Buffer.byteLength(reply.body));
        response.end(reply.body);
        return;
      }
      const http = this.adapterHost.httpAdapter;
      http.setHeader(response, 'Cache-Control', 'no-store');
      http.setHeader(response, 'Content-Type', reply.contentType);
      http.reply(response, reply.body, reply.statusCode);
    }
  }
  return HealthController;
}
