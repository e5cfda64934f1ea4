/**
 * @internal The names of auto-found checks: made from what a client is and the token it is
 * provided under, so that they explain themselves and stay the same from one start to the next.
 */

/** Words of any token that say nothing of which client it is. */
const GENERIC = new Set([
  'client',
  'connection',
  'conn',
  'instance',
  'provider',
  'token',
  'default',
  'service',
  'module',
  'db',
  'database',
]);

const MAX_LENGTH = 64;

/** What a check's name is made from. */
export interface Naming {
  /** The indicator's default name (`typeorm`, `redis`): the first part of every name. */
  readonly kind: string;
  /** Words of a token that only repeat the kind (`datasource`, `ioredis`). */
  readonly words: readonly string[];
  /** The DI token the client is provided under. */
  readonly token: unknown;
  /** A name the client has (a queue's), used instead of the token. */
  readonly own?: string;
}

/** The text of a token: a string, a symbol's description, a class's name. */
export function tokenText(token: unknown): string {
  if (typeof token === 'string') return token;
  if (typeof token === 'symbol') return token.description ?? '';
  if (typeof token === 'function') return token.name;
  return '';
}

/** `reportingDataSource`, `ORDERS_SERVICE`, `BullQueue_emails` as lower-case words. */
export function wordsOf(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .map((word) => word.toLowerCase())
    .filter((word) => word !== '');
}

function named(kind: string, words: readonly string[]): string {
  if (words.length === 0) return kind;
  return `${kind}.${words.join('-')}`.slice(0, MAX_LENGTH).replace(/[-.]+$/, '');
}

/** `kind.<token less the kind's words and generic ones>`: `typeorm.reporting`, `redis`. */
function shortName(naming: Naming): string {
  if (naming.own !== undefined) return named(naming.kind, wordsOf(naming.own));
  const kindWords = new Set(naming.words);
  const words = wordsOf(tokenText(naming.token)).filter(
    (word) => !kindWords.has(word) && !GENERIC.has(word),
  );
  return named(naming.kind, words);
}

/** `kind.<every word of the token>`: what tells two short names apart, when it can. */
function fullName(naming: Naming): string {
  const words = wordsOf(naming.own ?? tokenText(naming.token));
  return named(naming.kind, words);
}

/**
 * The name of each check, in the order given: its short name; where two clash (or one clashes
 * with a name `taken` by a declared indicator), the kind and every word of the token; where those
 * clash too (one token in two modules), the short name with `-2`, `-3`... after all but the
 * first, in the order the application's modules list them.
 */
export function checkNames(namings: readonly Naming[], taken: ReadonlySet<string>): string[] {
  const clashing = (names: readonly string[], index: number) =>
    taken.has(names[index]) || names.some((other, i) => i !== index && other === names[index]);
  const short = namings.map(shortName);
  const full = short.map((name, i) => (clashing(short, i) ? fullName(namings[i]) : name));
  // Whole tokens that clash as well (one token in two modules) tell nothing more.
  const names = full.map((name, i) => (clashing(full, i) ? short[i] : name));
  const used = new Set(taken);
  return names.map((name) => {
    let unique = name;
    for (let n = 2; used.has(unique); n++) {
      const suffix = `-${n}`;
      unique = `${name.slice(0, MAX_LENGTH - suffix.length)}${suffix}`;
    }
    used.add(unique);
    return unique;
  });
}
