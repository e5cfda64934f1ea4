/**
 * @internal Validation of options, nested ones included: a rule checks a value found at a path
 * (`access.ready`, `shutdown.signals[1]`, `probes[0]`) and says what is wrong there, so that the
 * start-up error names the very key, its value and what would be valid.
 */

/** What is wrong with an option, where. */
export type Problem =
  | { kind: 'invalid'; at: string; value: unknown; valid: string }
  | { kind: 'unknown'; at: string; key: string; known: readonly string[] };

/** Checks the value at `at`; `undefined` when it is valid. */
export type Rule = (value: unknown, at: string) => Problem | undefined;

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const child = (at: string, key: string) => (at ? `${at}.${key}` : key);

/** A leaf: the value passes `test`, or it is invalid and `valid` says what it must be. */
export function is(test: (value: unknown) => boolean, valid: string): Rule {
  return (value, at) => (test(value) ? undefined : { kind: 'invalid', at, value, valid });
}

/** The first rule's verdict, unless the value passes one of the others. */
export function either(first: Rule, ...others: Rule[]): Rule {
  return (value, at) => {
    const problem = first(value, at);
    return problem && others.some((rule) => rule(value, at) === undefined) ? undefined : problem;
  };
}

/** An array (at least `min` long) whose every item passes `item`, each named by its index. */
export function arrayOf(item: Rule, valid: string, min = 0): Rule {
  return (value, at) => {
    if (!Array.isArray(value) || value.length < min) return { kind: 'invalid', at, value, valid };
    for (let i = 0; i < value.length; i++) {
      const problem = item(value[i], `${at}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  };
}

/** An object of known keys, each with its rule; an undefined value means "the default". */
export function shape(rules: Readonly<Record<string, Rule>>, valid: string): Rule {
  return (value, at) => {
    if (!isObject(value)) return { kind: 'invalid', at, value, valid };
    for (const [key, item] of Object.entries(value)) {
      // An own key only: "constructor" or "toString" would find a member of every object.
      const rule = Object.hasOwn(rules, key) ? rules[key] : undefined;
      if (!rule) return { kind: 'unknown', at, key, known: Object.keys(rules) };
      const problem = item === undefined ? undefined : rule(item, child(at, key));
      if (problem) return problem;
    }
    return undefined;
  };
}

/** An object whose keys are those `known()` lists (read at validation), each value passing `item`. */
export function mapOf(known: () => readonly string[], item: Rule, valid: string): Rule {
  return (value, at) => {
    if (!isObject(value)) return { kind: 'invalid', at, value, valid };
    const keys = known();
    for (const [key, entry] of Object.entries(value)) {
      if (!keys.includes(key)) return { kind: 'unknown', at, key, known: keys };
      const problem = item(entry, child(at, key));
      if (problem) return problem;
    }
    return undefined;
  };
}

/** Checks `value` against `rule` at the top, throwing what `message` makes of a problem. */
export function check(value: unknown, rule: Rule, message: (problem: Problem) => string): void {
  const problem = rule(value, '');
  if (problem) throw new Error(message(problem));
}
