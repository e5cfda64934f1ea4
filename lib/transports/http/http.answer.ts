import { HEALTH_JSON } from '../../core/health.constants.js';
import type { ProbeReading } from '../../core/probe.reading.js';
import type { ProbeResult } from '../../core/probe-result.js';
import type { HealthStatus } from '../../interfaces/health-check.interface.js';
import { renderText } from './health-text.renderer.js';

/** @internal The media type of `?verbose` answers. */
export const TEXT = 'text/plain; charset=utf-8';

/** @internal What HTTP sends: a status code, a media type and a body. */
export interface HttpReply {
  readonly statusCode: number;
  readonly contentType: string;
  readonly body: string;
  /**
   * An answer exactly as Nest or the adapter gives it for a path that is no route (a 404, a
   * malformed URL): sent without the `Cache-Control: no-store` of every health answer.
   */
  readonly bare?: boolean;
}

/** A result as HTTP serves it: made once per result, whoever asks. */
interface HttpAnswer {
  /** The whole report as health+json. */
  readonly whole: HttpReply;
  /** What an external caller of a `status` route gets: the status and nothing else. */
  readonly status: HttpReply;
  readonly report: ProbeResult['report'];
}

const STATUS_BODY: Record<HealthStatus, string> = {
  pass: '{"status":"pass"}',
  warn: '{"status":"warn"}',
  fail: '{"status":"fail"}',
};

/** Results are frozen and reused while nothing changes: so is what HTTP makes of them. */
const answers = new WeakMap<object, HttpAnswer>();

function answerOf(result: ProbeResult): HttpAnswer {
  let answer = answers.get(result.report);
  if (answer === undefined) {
    const { report } = result;
    const statusCode = report.status === 'fail' ? 503 : 200;
    answer = Object.freeze({
      whole: Object.freeze({ statusCode, contentType: HEALTH_JSON, body: JSON.stringify(report) }),
      status: Object.freeze({
        statusCode,
        contentType: HEALTH_JSON,
        body: STATUS_BODY[report.status],
      }),
      report,
    });
    answers.set(report, answer);
  }
  return answer;
}

/**
 * @internal The one choice of what HTTP sends for a result read as `reading`, on every port: the
 * status alone, the report as health+json, or as text about `subject` (`?verbose`). `pass` and
 * `warn` answer 200, `fail` 503.
 */
export function httpReply(result: ProbeResult, reading: ProbeReading, subject: string): HttpReply {
  const answer = answerOf(result);
  if (!reading.whole) return answer.status;
  if (!reading.text) return answer.whole;
  return {
    statusCode: answer.whole.statusCode,
    contentType: TEXT,
    body: renderText(subject, answer.report),
  };
}

/** @internal What a probe answers when something of ours went wrong: a plain failure. */
export const UNEXPECTED: HttpReply = Object.freeze({
  statusCode: 503,
  contentType: HEALTH_JSON,
  body: JSON.stringify({ status: 'fail', output: 'health check failed unexpectedly' }),
});

/** @internal Nest's own answer for a route that does not exist. */
export function notFoundReply(method: string | undefined, url: string | undefined): HttpReply {
  const body = { message: `Cannot ${method} ${url}`, error: 'Not Found', statusCode: 404 };
  return { statusCode: 404, contentType: JSON_TYPE, body: JSON.stringify(body), bare: true };
}

/** @internal Nest's own answer for a refused caller (`deniedStatus: 403`). */
export const FORBIDDEN: HttpReply = Object.freeze({
  statusCode: 403,
  contentType: 'application/json; charset=utf-8',
  body: JSON.stringify({ message: 'Forbidden', statusCode: 403 }),
});

/** @internal The media type of Nest's (and Fastify's) own JSON answers. */
export const JSON_TYPE = 'application/json; charset=utf-8';
