import { MAX_TIMER_MS } from './health.constants.js';
import type { IndicatorProbe } from '../interfaces/health-check.interface.js';
import { arrayOf, is } from './option.rules.js';

/**
 * @internal The rules of the values that options of the module and of indicators share: times,
 * names, probes, component types. Each says what would be valid, for the start-up error.
 */

/** A test: an integer within bounds. */
export const integer = (min: number, max: number) => (v: unknown) =>
  Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
/** What a time in ms must be, from `from`. */
export const ms = (from: string) =>
  `an integer number of milliseconds from ${from} to ${MAX_TIMER_MS}`;

export const timeout = is(integer(1, MAX_TIMER_MS), ms('1'));
export const ttl = is(integer(0, MAX_TIMER_MS), ms('0 (no caching)'));
export const delay = is(integer(0, MAX_TIMER_MS), ms('0'));
export const refresh = is(integer(100, MAX_TIMER_MS), ms('100'));
export const threshold = is(integer(1, 100), 'an integer from 1 to 100');
export const bool = is((v) => typeof v === 'boolean', 'true or false');
export const text = is(
  (v) => typeof v === 'string' && v.trim().length > 0 && v.length <= 256,
  'a non-empty string of at most 256 characters',
);
/** The name of a check or a group: 1-64 letters, digits, ".", "_" or "-", from a letter or digit. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const nameRule = is(
  (v) => typeof v === 'string' && NAME_PATTERN.test(v),
  'a string of 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
);
const INDICATOR_PROBES: readonly IndicatorProbe[] = ['startup', 'ready', 'deep'];
const quoted = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');
export const probesRule = arrayOf(
  is((v) => INDICATOR_PROBES.includes(v as IndicatorProbe), `one of ${quoted(INDICATOR_PROBES)}`),
  `a non-empty array of ${quoted(INDICATOR_PROBES)}`,
  1,
);
/** An array of strings, `valid` saying what they are. */
export const strings = (valid: string) =>
  arrayOf(
    is((v) => typeof v === 'string', 'a string'),
    valid,
  );
const COMPONENT_TYPES: readonly unknown[] = ['component', 'datastore', 'system'];
/** A URI with a scheme (RFC 3986): letters, digits, "+", "." or "-", a colon, no white space. */
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;
export const componentType = is(
  (v) => COMPONENT_TYPES.includes(v) || (typeof v === 'string' && v.length <= 256 && URI.test(v)),
  "'component', 'datastore', 'system', or a URI with a scheme and no spaces (at most 256 characters), such as 'urn:example:queue' or 'https://example.com/types/queue'",
);
