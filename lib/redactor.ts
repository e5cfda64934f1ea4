import { OUTPUT_MAX_LENGTH } from './health.constants.js';
import { boundText } from './check-result.normalizer.js';

/** A pattern to mask in every output, and what replaces it (default `***`). */
export interface RedactionRule {
  pattern: RegExp;
  /** A string (`$1` refers to groups) or a function, as in `String.prototype.replace`. */
  replacement?: string | ((match: string, ...groups: string[]) => string);
}

const MASK = '***';

/** Names whose values are secrets, in `key=value` text and in `details` objects. */
const SECRET_NAME =
  /(?:passw(?:or)?d|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|authorization|auth|session[_-]?id|cookie)$/i;

const DEFAULT_RULES: readonly RedactionRule[] = Object.freeze([
  // Credentials in URLs: scheme://user:password@host and scheme://:password@host.
  {
    pattern: /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/?#@]*):([^\s@/?#]*)@/gi,
    replacement: `$1$2:${MASK}@`,
  },
  // Authorization schemes with a credential after them.
  {
    pattern: /\b(Bearer|Basic|Digest|Token)\s+[A-Za-z0-9._~+/=:-]{6,}/g,
    replacement: `$1 ${MASK}`,
  },
  // key=value, key: value, "key":"value" for secret-looking keys.
  {
    pattern:
      /(["']?)([A-Za-z0-9_.-]*(?:passw(?:or)?d|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|authorization|x-api-key))\1(\s*[=:]\s*)("(?:[^"\\]|\\.)*"|'[^']*'|(?:Bearer|Basic)\s+\S+|[^\s&;,"'})\]]+)/gi,
    replacement: (_match, quote: string, key: string, separator: string, value: string) => {
      const quoted = value.startsWith('"') || value.startsWith("'") ? value[0] : '';
      return `${quote}${key}${quote}${separator}${quoted}${MASK}${quoted}`;
    },
  },
  // AWS access key ids.
  { pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g, replacement: MASK },
  // Private key blocks.
  {
    pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
    replacement: MASK,
  },
]);

function globalCopy(pattern: RegExp): RegExp {
  return pattern.global ? pattern : new RegExp(pattern.source, `${pattern.flags}g`);
}

/**
 * Masks secrets in text before it is cached or served: credentials in URLs, `password=`-style
 * pairs, authorization tokens, AWS keys, private keys. Extend it with rules of your own.
 */
export class Redactor {
  /** The rules every redactor starts with. */
  static readonly defaultRules = DEFAULT_RULES;
  private readonly rules: readonly RedactionRule[];

  constructor(extraRules: readonly (RedactionRule | RegExp)[] = []) {
    const extra = extraRules.map((rule) => (rule instanceof RegExp ? { pattern: rule } : rule));
    this.rules = [...DEFAULT_RULES, ...extra].map((rule) => ({
      pattern: globalCopy(rule.pattern),
      replacement: rule.replacement ?? MASK,
    }));
  }

  /** Masks every secret in a text. */
  redact(text: string): string {
    let result = text;
    for (const { pattern, replacement } of this.rules) {
      pattern.lastIndex = 0;
      result = result.replace(pattern, replacement as string);
    }
    return result;
  }

  /** A check's output as served: redacted, on one line, bounded. */
  output(text: string): string {
    // Cut an enormous text before redacting it, but keep enough that a secret straddling the
    // final bound is still recognised and masked.
    return boundText(this.redact(text.slice(0, OUTPUT_MAX_LENGTH * 8)));
  }

  /** A JSON-safe `details` value with every string redacted and secret-named keys masked. */
  details<T>(value: T): T {
    return this.walk(value, undefined) as T;
  }

  private walk(value: unknown, key: string | undefined): unknown {
    if (key !== undefined && SECRET_NAME.test(key) && value !== null && typeof value !== 'object') {
      return MASK;
    }
    if (typeof value === 'string') return this.redact(value);
    if (Array.isArray(value)) return value.map((item) => this.walk(item, undefined));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.walk(v, k)]));
    }
    return value;
  }
}
