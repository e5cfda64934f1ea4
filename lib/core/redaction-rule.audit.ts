/**
 * @internal A start-up check of the redaction rules an application adds: a rule whose cost grows
 * faster than its input (catastrophic backtracking, or a global search that rescans the rest of
 * the text from every position) would stall the event loop on a long output. JavaScript cannot
 * stop a running RegExp, so the rule is tried, once, on short adversarial inputs of growing
 * length; one that already takes milliseconds on a few KiB is reported.
 */

/** An input this long takes a linear rule a fraction of a millisecond, a quadratic one tens. */
const MAX_LENGTH = 8192;
/** A run slower than this, twice, on an input of at most MAX_LENGTH: the rule is superlinear. */
const SLOW_MS = 5;
/** Characters most patterns treat specially, tried in every rule's inputs. */
const COMMON = ['a', '0', ' ', '-', '=', ':', '/', '@', '"', '.', '_', ','];
const MAX_CHARS = 12;

/**
 * The inputs of one pump: one more repetition at a time while short (an exponential rule doubles
 * its cost every repetition or two), then x1.5 (a polynomial one grows by a bounded factor per
 * step), so that no single run can hang.
 */
function* inputs(pump: string): Generator<string> {
  for (let reps = 1; reps <= 48; reps++) {
    yield pump.repeat(reps);
    yield `${pump.repeat(reps)}!`;
  }
  for (
    let length = 48 * pump.length;
    length <= MAX_LENGTH * 1.5;
    length = Math.ceil(length * 1.5)
  ) {
    yield `${pump.repeat(Math.ceil(Math.min(length, MAX_LENGTH) / pump.length))}!`;
    if (length >= MAX_LENGTH) return;
  }
}

/** The pattern with its escapes read as a character each stands for. */
function plain(source: string): string {
  return source
    .replace(/\\[dwS]/g, 'a')
    .replace(/\\[DWs]/g, ' ')
    .replace(/\\(.)/g, '$1');
}

/** Characters the pattern names literally, then the common ones, as the alphabet of the inputs. */
function alphabet(source: string): string[] {
  const literal = plain(source).replace(/[()[\]{}*+?|^$]/g, '');
  return [...new Set([...COMMON.slice(0, 4), ...literal, ...COMMON])]
    .filter((char) => char >= ' ' && char <= '~')
    .slice(0, MAX_CHARS);
}

/** Inputs repeat single characters, pairs, and each literal word of the pattern after a character. */
function pumps(source: string): string[] {
  const chars = alphabet(source);
  const words = plain(source)
    .split(/[()[\]{}*+?|^$]+/)
    .filter((word) => word.length > 1)
    .slice(0, 8);
  return [
    ...chars,
    ...chars.flatMap((a) => chars.filter((b) => b !== a).map((b) => a + b)),
    ...words.flatMap((word) => chars.map((char) => char + word)),
  ];
}

function timeOf(pattern: RegExp, text: string): number {
  const started = performance.now();
  pattern.lastIndex = 0;
  text.replace(pattern, '');
  return performance.now() - started;
}

/** Whether a pump, repeated, makes the pattern slow before the input reaches MAX_LENGTH. */
function slowOn(pattern: RegExp, pump: string): boolean {
  for (const text of inputs(pump)) {
    // Twice: a pause of the collector alone must not condemn a rule.
    if (timeOf(pattern, text) > SLOW_MS && timeOf(pattern, text) > SLOW_MS) return true;
  }
  return false;
}

/** Whether the pattern's cost grows faster than its input on some short, repetitive text. */
export function looksSuperlinear(pattern: RegExp): boolean {
  const global = new RegExp(
    pattern.source,
    pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`,
  );
  return pumps(pattern.source).some((pump) => slowOn(global, pump));
}
