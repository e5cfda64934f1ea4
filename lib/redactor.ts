import { DETAILS_LIMITS, OUTPUT_MAX_LENGTH } from './health.constants.js';
import { boundText, jsonSafe } from './check-result.normalizer.js';

/** A pattern to mask in every output, and what replaces it (default `***`). */
export interface RedactionRule {
  pattern: RegExp;
  /** A string (`$1` refers to groups) or a function, as in `String.prototype.replace`. */
  replacement?: string | ((match: string, ...groups: string[]) => string);
}

const MASK = '***';

/** Words that make a key secret wherever they appear in it (`dbPassword`, `client_secret`). */
const SECRET_WORDS =
  'passw(?:or)?d|passphrase|secret|token|api[_-]?key|access[_-]?key|account[_-]?key|private[_-]?key|credentials?|x-api-key';
/** Short words that make a key secret only as a whole word (`pass`, `db_pwd`, `sig`, not `bypass`). */
const SECRET_SHORT = 'pass|pwd|sig|signature|auth|session(?:[_-]?id)?|sid|cookie';

const SECRET_KEY = new RegExp(
  `(?:${SECRET_WORDS})|(?:^|[_.-])(?:${SECRET_SHORT})$|^authorization$|^set-cookie$`,
  'i',
);

const DEFAULT_RULES: readonly RedactionRule[] = Object.freeze([
  // Private key blocks, whole.
  {
    pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
    replacement: MASK,
  },
  // Authorization and cookie headers: everything after the name, to the end of the line.
  {
    pattern: /\b((?:proxy-)?authorization|set-cookie|cookie)(["']?\s*[:=]\s*)[^\r\n]+/gi,
    replacement: `$1$2${MASK}`,
  },
  // scheme://user:password@host, up to the last @ of the address, so a password may hold @ / ? #.
  {
    pattern: /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/?#@]*):\S*@(?=[^\s@]*)/gi,
    replacement: `$1$2:${MASK}@`,
  },
  // scheme://token@host: a long user name is a token (GitHub, GitLab...).
  { pattern: /\b([a-z][a-z0-9+.-]*:\/\/)[A-Za-z0-9_.~-]{16,}@/gi, replacement: `$1${MASK}@` },
  // Authorization schemes with a credential after them.
  {
    pattern: /\b(Bearer|Basic|Digest|Token|Negotiate|NTLM)\s+[A-Za-z0-9._~+/=:-]{6,}/g,
    replacement: `$1 ${MASK}`,
  },
  // key=value, key: value, "key":"value" for secret-looking keys.
  {
    pattern: new RegExp(
      `(["']?)([A-Za-z0-9_.-]*(?:${SECRET_WORDS})|(?<![A-Za-z0-9])(?:[A-Za-z0-9_.-]*[_.-])?(?:${SECRET_SHORT}))\\1(\\s*[=:]\\s*)("(?:[^"\\\\]|\\\\.)*"|'[^']*'|[^\\s&;,"'})\\]]+)`,
      'gi',
    ),
    replacement: (match, quote: string, key: string, separator: string, value: string) => {
      // MySQL's "(using password: YES)" says whether one was sent, not what it is.
      if (/^(?:YES|NO)$/.test(value)) return match;
      const quoted = value.startsWith('"') || value.startsWith("'") ? value[0] : '';
      return `${quote}${key}${quote}${separator}${quoted}${MASK}${quoted}`;
    },
  },
  // Well-known token shapes: AWS key ids, Stripe, GitHub, Slack, JWTs.
  { pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g, replacement: MASK },
  { pattern: /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}\b/g, replacement: MASK },
  { pattern: /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g, replacement: MASK },
  { pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g, replacement: MASK },
  { pattern: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{4,}/g, replacement: MASK },
]);

/** How much of an enormous text is read at all, before whitespace is collapsed. */
const READ_LIMIT = 64 * 1024;

function globalCopy(pattern: RegExp): RegExp {
  return pattern.global ? pattern : new RegExp(pattern.source, `${pattern.flags}g`);
}

/**
 * Masks secrets in text before it is cached or served: credentials in URLs, `password=`-style
 * pairs, authorization and cookie headers, well-known token shapes, private keys. Extend it with
 * rules of your own.
 */
export class Redactor {
  /** The rules every redactor starts with. */
  static readonly defaultRules = DEFAULT_RULES;
  private readonly rules: readonly Required<RedactionRule>[];

  constructor(extraRules: readonly (RedactionRule | RegExp)[] = []) {
    const extra = extraRules.map((rule) => (rule instanceof RegExp ? { pattern: rule } : rule));
    this.rules = [...DEFAULT_RULES, ...extra].map((rule) => ({
      pattern: globalCopy(rule.pattern),
      replacement: rule.replacement ?? MASK,
    }));
  }

  /** Masks every secret in a text. A rule that throws masks the whole text: never leak by accident. */
  redact(text: string): string {
    let result = text;
    try {
      for (const { pattern, replacement } of this.rules) {
        pattern.lastIndex = 0;
        result = result.replace(pattern, replacement as string);
      }
    } catch {
      return MASK;
    }
    return result;
  }

  /** A text as served: on one line, redacted, bounded to `max` characters. */
  output(text: string, max: number = OUTPUT_MAX_LENGTH): string {
    const budget = max * 8;
    let line = text.slice(0, READ_LIMIT).replace(/\s+/g, ' ').trim();
    if (text.length > READ_LIMIT || line.length > budget) {
      // Cut, then drop the token the cut went through: half a secret matches no rule. (A token
      // longer than any secret's shape is kept, so one enormous word still shows its start.)
      line = line.slice(0, budget).replace(/\S{1,1024}$/, '');
    }
    return boundText(this.redact(line), max);
  }

  /**
   * A JSON-safe copy of `details`: every string redacted and bounded, the value under a
   * secret-named key masked whole, and the whole copy bounded (depth, keys, items, values).
   */
  details(value: unknown): Record<string, unknown> {
    const safe = jsonSafe(value, {
      text: (text) => this.output(text, DETAILS_LIMITS.stringLength),
      isSecretKey: (key) => SECRET_KEY.test(key),
      nodes: DETAILS_LIMITS.nodes,
    });
    return typeof safe === 'object' && safe !== null && !Array.isArray(safe)
      ? (safe as Record<string, unknown>)
      : { value: safe };
  }
}
