import {
  request as httpRequest,
  validateHeaderName,
  validateHeaderValue,
  type OutgoingHttpHeaders,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import { messages } from '../core/health.messages.js';
import type { CheckResult } from '../interfaces/health-check.interface.js';
import { BuiltInIndicator } from './support/built-in.indicator.js';
import { settingKeysOf } from './support/setting.rules.js';

/** Settings of `HttpHealthIndicator`. */
export interface HttpIndicatorSettings {
  /** What to request: an `http:` or `https:` URL; `user:password@` is sent as basic auth. Required. */
  url: string | URL;
  /** The request's method. Default `'GET'`. */
  method?: 'GET' | 'HEAD';
  /** Request headers, such as `authorization`. Default: none (Node's `host` and `connection: close`). */
  headers?: Record<string, string>;
  /** The statuses that pass, inclusive. Default `[200, 399]`: redirects are not followed, they answer. */
  expectStatus?: readonly [min: number, max: number];
  /** Warns (status `warn`) when the response headers take longer than this (ms). Default: none. */
  maxLatencyMs?: number;
}

const isStatus = (value: unknown): value is number =>
  Number.isInteger(value) && (value as number) >= 100 && (value as number) <= 599;

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

function validHeaders(headers: unknown): boolean {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return false;
  try {
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value !== 'string') return false;
      validateHeaderName(name);
      validateHeaderValue(name, value);
    }
    return true;
  } catch {
    return false;
  }
}

/** An HTTP dependency: passes when it answers a status in range, fails when it does not answer. */
export class HttpHealthIndicator extends BuiltInIndicator<HttpIndicatorSettings> {
  static override readonly defaults = { name: 'http', componentType: 'component' };
  static override readonly settingKeys = settingKeysOf<HttpIndicatorSettings>(
    'url',
    'method',
    'headers',
    'expectStatus',
    'maxLatencyMs',
  );

  /** A copy, so that the caller mutating its URL object changes nothing. */
  private readonly url: URL;
  /** The URL as outputs show it: no credentials, no query string (which often carries a token). */
  private readonly shown: string;

  constructor(settings: HttpIndicatorSettings) {
    super(settings);
    this.url = new URL(settings.url);
    this.shown = `${this.url.origin}${this.url.pathname}`;
  }

  protected override validate(settings: HttpIndicatorSettings): void {
    const bad = (setting: string, got: unknown, valid: string) =>
      new Error(messages.badSetting(this.constructor.name, setting, got, valid));
    const { url, method, headers, expectStatus, maxLatencyMs } = settings;
    const parsed = typeof url === 'string' || url instanceof URL ? parse(String(url)) : null;
    if (parsed === null || !['http:', 'https:'].includes(parsed.protocol)) {
      throw bad('url', url, 'an absolute http: or https: URL');
    }
    if (method !== undefined && method !== 'GET' && method !== 'HEAD') {
      throw bad('method', method, '"GET" or "HEAD"');
    }
    if (headers !== undefined && !validHeaders(headers)) {
      throw bad('headers', headers, 'an object of header names to string values');
    }
    if (
      expectStatus !== undefined &&
      !(
        Array.isArray(expectStatus) &&
        expectStatus.length === 2 &&
        expectStatus.every(isStatus) &&
        expectStatus[0] <= expectStatus[1]
      )
    ) {
      throw bad(
        'expectStatus',
        expectStatus,
        'a range of HTTP statuses [min, max], such as [200, 299]',
      );
    }
    if (maxLatencyMs !== undefined && !(typeof maxLatencyMs === 'number' && maxLatencyMs > 0)) {
      throw bad('maxLatencyMs', maxLatencyMs, 'a number of milliseconds above 0');
    }
  }

  async check(signal: AbortSignal): Promise<CheckResult> {
    signal.throwIfAborted();
    const { method = 'GET', headers, expectStatus = [200, 399], maxLatencyMs } = this.settings;
    const started = performance.now();
    const status = await this.request(method, { ...headers }, signal);
    // Measured here rather than by the runner: it is judged against maxLatencyMs, and the
    // output and the observed value show the figure judged.
    const latencyMs = Math.round((performance.now() - started) * 100) / 100;
    const [min, max] = expectStatus;
    const answered = `${method} ${this.shown} answered ${status}`;
    const result: CheckResult = {
      observedValue: latencyMs,
      observedUnit: 'ms',
      details: { method, url: this.shown, status },
    };
    // A result rather than a throw: the report keeps the latency and the status.
    if (status < min || status > max) {
      return { ...result, status: 'fail', output: `${answered}, expected ${min}-${max}` };
    }
    if (maxLatencyMs !== undefined && latencyMs > maxLatencyMs) {
      const output = `${answered} in ${latencyMs} ms, above maxLatencyMs ${maxLatencyMs}`;
      return { ...result, status: 'warn', output };
    }
    return result;
  }

  /**
   * The status, once the response's head has arrived; its body is never read. node:http rather
   * than fetch(): undici reconnects after an abort and pools sockets, either of which leaves a
   * connection open to the dependency after the check; and fetch() refuses some ports.
   */
  private request(method: string, headers: OutgoingHttpHeaders, signal: AbortSignal) {
    const send = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<number>((resolve, reject) => {
      // No agent: a connection of its own, closed with the request; redirects are not followed.
      const request = send(this.url, { method, headers, agent: false });
      const onAbort = () => {
        request.destroy();
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      request.once('response', (response) => {
        signal.removeEventListener('abort', onAbort);
        resolve(response.statusCode ?? 0);
        response.destroy();
      });
      // Kept after settling: destroying the request emits an error, which must not go unheard.
      request.on('error', (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      });
      request.end();
    });
  }
}
