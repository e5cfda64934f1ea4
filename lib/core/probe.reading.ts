import { DIAGNOSTICS_COMPONENT, EXCLUDE_LIMITS } from './health.constants.js';
import { excludeNotes } from './health-report.builder.js';

/**
 * @internal How a caller reads a probe, whatever the transport: the whole report or its status
 * alone, as JSON or as text, and which checks to leave out (`?verbose`, `Accept: text/plain`,
 * `?exclude=`). Pure: the probe server's worker uses it as the application's port does.
 */
export interface ProbeReading {
  /** The whole report (else the status alone). */
  readonly whole: boolean;
  /** As Kubernetes-style text (else health+json). */
  readonly text: boolean;
  /** Checks left out: never run, and the status aggregated from the rest. */
  readonly exclude: readonly string[];
}

/** @internal What an external caller of a `status` route reads. */
export const STATUS_ONLY: ProbeReading = Object.freeze({ whole: false, text: false, exclude: [] });
/** @internal The whole report as JSON: a request that asks nothing else. */
export const WHOLE: ProbeReading = Object.freeze({ whole: true, text: false, exclude: [] });

/**
 * @internal The reading a request asks for: its target's query (`?verbose`, `?verbose=1`, not
 * `?verbose=false|0|no|off`; `?exclude=<name>`, repeatable, at most 100) and its `Accept` header.
 */
export function readingOf(target: string, accept: string | undefined): ProbeReading {
  const query = target.indexOf('?');
  const wantsText =
    typeof accept === 'string' && accept.includes('text/plain') && !accept.includes('json');
  if (query === -1 && !wantsText) return WHOLE;
  const hash = target.indexOf('#', query);
  const params = new URLSearchParams(
    query === -1 ? '' : target.slice(query + 1, hash === -1 ? undefined : hash),
  );
  const verbose = params.get('verbose');
  return {
    whole: true,
    text: wantsText || (verbose !== null && !/^(?:false|0|no|off)$/i.test(verbose)),
    exclude: params.getAll('exclude').filter(Boolean).slice(0, EXCLUDE_LIMITS.names),
  };
}

/** @internal The checks a reading keeps of a probe's, and what it says of names it did not know. */
export interface CheckSelection {
  /** The names kept, in the probe's order. */
  readonly kept: readonly string[];
  /** Whether the process diagnostics stay (the deep probe's, unless `process` is excluded). */
  readonly diagnostics: boolean;
  /** Notes on excluded names that matched none of the probe's checks. */
  readonly notes?: readonly string[];
  /** Whether the reading left anything out, so that its result is not the probe's own. */
  readonly partial: boolean;
}

/**
 * @internal The one rule for `?exclude=`: the probe's checks less those named (they are not run),
 * its diagnostics unless `process` is named, and a note for each name that matched none.
 */
export function selectChecks(
  checks: readonly string[],
  diagnostics: boolean,
  exclude: readonly string[] = [],
): CheckSelection {
  if (exclude.length === 0) return { kept: checks, diagnostics, partial: false };
  const left = new Set(exclude);
  const known = new Set(checks);
  if (diagnostics) known.add(DIAGNOSTICS_COMPONENT);
  const unknown = [...left].filter((name) => !known.has(name));
  return {
    kept: checks.filter((name) => !left.has(name)),
    diagnostics: diagnostics && !left.has(DIAGNOSTICS_COMPONENT),
    notes: unknown.length ? excludeNotes(unknown) : undefined,
    partial: true,
  };
}
