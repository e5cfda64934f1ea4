import type { ProbeAccess } from '../interfaces/health-check.interface.js';

/** @internal What a caller gets of a route: the whole report, its status alone, or a refusal. */
export type AccessDecision = 'whole' | 'status' | 'denied';

/**
 * @internal The one access rule, whatever the transport: a `public` route is read whole by
 * everyone; a `status` route whole by internal callers and as a status by the others; an
 * `internal` route by internal callers only.
 */
export function decideAccess(access: ProbeAccess, internal: boolean): AccessDecision {
  if (internal || access === 'public') return 'whole';
  return access === 'status' ? 'status' : 'denied';
}

/** @internal Who may read one check of a probe: everyone on a public probe, else internal callers. */
export function checkAccess(access: ProbeAccess): ProbeAccess {
  return access === 'public' ? 'public' : 'internal';
}
