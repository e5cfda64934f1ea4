import { EXCLUDE_LIMITS, HEALTH_JSON } from '../../core/health.constants.js';
import { renderText } from './health-text.renderer.js';
import type { HealthStatus } from '../../interfaces/health-check.interface.js';
import { rawRequest, type HttpRequest } from './http.request.js';
import type { ProbeResult } from '../../core/probe.evaluator.js';

/** @internal The media type of `?verbose` answers. */
export const TEXT = 'text/plain; charset=utf-8';

/** @internal How a caller reads a probe: whole or status only, JSON or text, and what to leave out. */
export interface Reading {
  full: boolean;
  verbose: boolean;
  exclude: readonly string[];
}

/** @internal What an external caller of a `status` route reads. */
export const STATUS_ONLY: Reading = Object.freeze({ full: false, verbose: false, exclude: [] });
const WHOLE: Reading = Object.freeze({ full: true, verbose: false, exclude: [] });

/** @internal `?verbose`, `Accept: text/plain` and `?exclude=<name>` (repeatable), on every adapter. */
export function readingOf(request: HttpRequest): Reading {
  const raw = rawRequest(request);
  const url = raw.url ?? '';
  const query = url.indexOf('?');
  const accept = raw.headers?.accept;
  const wantsText =
    typeof accept === 'string' && accept.includes('text/plain') && !accept.includes('json');
  if (query === -1 && !wantsText) return WHOLE;
  const params = new URLSearchParams(query === -1 ? '' : url.slice(query + 1));
  const verbose = params.get('verbose');
  return {
    full: true,
    // `?verbose` and `?verbose=1` ask for text; `?verbose=false` (or 0, no, off) does not.
    verbose: wantsText || (verbose !== null && !/^(?:false|0|no|off)$/i.test(verbose)),
    exclude: params.getAll('exclude').filter(Boolean).slice(0, EXCLUDE_LIMITS.names),
  };
}

/** @internal A result as HTTP serves it: computed once per result, whoever asks. */
export interface HttpAnswer {
  readonly statusCode: 200 | 503;
  readonly contentType: string;
  /** The serialised report. */
  readonly body: string;
  /** What an external caller of a `status` route gets: the status and nothing else. */
  readonly statusBody: string;
  /** The report as text (`?verbose`), about `subject`. */
  text(subject: string): string;
}

const STATUS_BODY: Record<HealthStatus, string> = {
  pass: '{"status":"pass"}',
  warn: '{"status":"warn"}',
  fail: '{"status":"fail"}',
};

/** Results are frozen and reused while nothing changes: so is what HTTP makes of them. */
const answers = new WeakMap<object, HttpAnswer>();

/** @internal The HTTP answer of a result: its status code, its body serialised once. */
export function toHttpAnswer(result: ProbeResult): HttpAnswer {
  let answer = answers.get(result.report);
  if (answer === undefined) {
    const { report } = result;
    answer = Object.freeze({
      statusCode: report.status === 'fail' ? 503 : 200,
      contentType: HEALTH_JSON,
      body: JSON.stringify(report),
      statusBody: STATUS_BODY[report.status],
      text: (subject: string) => renderText(subject, report),
    });
    answers.set(report, answer);
  }
  return answer;
}

/** @internal What a probe answers when something of ours went wrong: a plain failure. */
export function unexpectedAnswer(): HttpAnswer {
  return toHttpAnswer({
    probe: '',
    status: 'fail',
    report: Object.freeze({ status: 'fail', output: 'health check failed unexpectedly' }),
  });
}
