import { DETAILS_LIMITS, OUTPUT_MAX_LENGTH } from './health.constants.js';
import { boundText, jsonSafe } from './check-result.normalizer.js';
import { looksSuperlinear } from './redaction-rule.audit.js';
import { isSecretName } from './secret-name.matcher.js';
import { maskPairs } from './secret-pair.masker.js';

/** A pattern to mask in every output, and what replaces it (default `***`). */
export interface RedactionRule {
  pattern: RegExp;
  /** A string (`$1` refers to groups) or a function, as in `String.prototype.replace`. */
  replacement?: string | ((match: string, ...groups: string[]) => string);
}

const MASK = '***';

const URL_DELIMITERS = ':/?#@';

/**
 * `user:password@` (or a long `token@`) in what follows a URL's `scheme://`, up to the last `@`
 * of the address: a password may hold `@ / ? #`. An address that has none (a path with an
 * `@`) may still hold a URL of its own further on (`?next=postgres://u:p@db`). One pass, left to
 * right: linear in the text.
 */
function maskAuthority(address: string): string {
  let from = 0;
  for (;;) {
    let end = from;
    while (end < address.length && !URL_DELIMITERS.includes(address[end])) end++;
    const user = address.slice(from, end);
    if (address[end] === ':') return `${address.slice(0, end)}:${MASK}@`;
    if (address[end] === '@' && end === address.length - 1 && /^[\w.~-]{16,}$/.test(user)) {
      return `${address.slice(0, from)}${MASK}@`;
    }
    const next = address.indexOf('://', end);
    if (next === -1) return address;
    from = next + 3;
  }
}

/*
 * Every rule is linear in its input: no quantified part can be retried from many places (the
 * tests check each pattern with recheck, a ReDoS checker). Where a rule needs to look further than
 * a pattern can cheaply, the pattern takes the candidate and a function decides.
 */
const DEFAULT_RULES: readonly RedactionRule[] = Object.freeze([
  // Stack frames (`at fn (/app/node_modules/x/y.js:12:34)`, `at file:///app/main.js:3:7`):
  // a library that puts its stack in an error's message must not serve the code's layout.
  {
    pattern:
      /\bat (?:(?:async |new )?[^\s()]{1,256} )?\(?(?:file:\/\/|node:|\/|[A-Za-z]:\\)[^\s()]{0,1024}:\d{1,7}:\d{1,7}\)?/g,
    replacement: '',
  },
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
  // scheme://user:password@host and scheme://token@host (GitHub, GitLab...): the pattern takes a
  // scheme at the start of a word and the rest of the word, which a second pattern would otherwise
  // rescan from every "://" in it.
  {
    pattern: /(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]*:\/\/)(\S*)/g,
    replacement: (match, scheme: string, rest: string) => {
      const at = rest.lastIndexOf('@');
      return at === -1 ? match : scheme + maskAuthority(rest.slice(0, at + 1)) + rest.slice(at + 1);
    },
  },
  // Authorization schemes with a credential after them; `bearer` in any case, as HTTP allows (the
  // others in any case would take plain words: "token expired", "basic checks").
  {
    pattern:
      /\b([Bb][Ee][Aa][Rr][Ee][Rr]|Basic|Digest|Token|Negotiate|NTLM)\s+[A-Za-z0-9._~+/=:-]{6,}/g,
    replacement: `$1 ${MASK}`,
  },
  // name=value, name: value, "name":"value": the pattern takes the text from its first pair on,
  // and maskPairs masks the value of each pair whose name is secret, by the same test as the
  // keys of details (isSecretName).
  {
    pattern: /(?<![A-Za-z0-9_.-])["']?[A-Za-z0-9_.-]+["']?\s*[=:][\s\S]*/g,
    replacement: (text) => maskPairs(text, MASK),
  },
  // Well-known token formats, wherever they stand: AWS access key ids, Google API keys, Stripe,
  // OpenAI-style `sk-`, GitHub (classic and fine-grained), GitLab, npm, Slack tokens and webhook
  // paths, JWTs. Each begins with a fixed prefix at a word boundary, so a run of prefixes is read
  // once, not once per prefix. (AWS's `X-Amz-Signature=` and `X-Amz-Credential=` are pairs.)
  { pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g, replacement: MASK },
  { pattern: /(?<![\w-])AIza[\w-]{35}(?![\w-])/g, replacement: MASK },
  { pattern: /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}\b/g, replacement: MASK },
  { pattern: /(?<![\w-])sk-[\w-]{32,}/g, replacement: MASK },
  { pattern: /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g, replacement: MASK },
  { pattern: /\bgithub_pat_\w{20,}/g, replacement: MASK },
  { pattern: /(?<![\w-])glpat-[\w-]{20,}/g, replacement: MASK },
  { pattern: /\bnpm_[A-Za-z0-9]{36}\b/g, replacement: MASK },
  { pattern: /\b(?:xox[abeprs]|xapp)-[A-Za-z0-9-]{10,}\b/g, replacement: MASK },
  {
    pattern: /\b(hooks\.slack\.com\/(?:services|workflows|triggers)\/)[\w/-]+/g,
    replacement: `$1${MASK}`,
  },
  {
    pattern: /(?<![\w-])eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{4,}/g,
    replacement: MASK,
  },
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
  private readonly extra: readonly RedactionRule[];

  constructor(extraRules: readonly (RedactionRule | RegExp)[] = []) {
    const extra = extraRules.map((rule) => (rule instanceof RegExp ? { pattern: rule } : rule));
    this.extra = extra;
    this.rules = [...DEFAULT_RULES, ...extra].map((rule) => ({
      pattern: globalCopy(rule.pattern),
      replacement: rule.replacement ?? MASK,
    }));
  }

  /**
   * The patterns of the rules given to the constructor whose cost grows faster than their input
   * (tried on short adversarial texts: this takes some milliseconds per rule). Start-up warns
   * about each: on a long output, such a rule could stall the event loop.
   */
  unsafeRules(): RegExp[] {
    return this.extra.map((rule) => rule.pattern).filter(looksSuperlinear);
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
      line = line.slice(0, budget);
      const partial = Math.min(line.length - line.lastIndexOf(' ') - 1, 1024);
      line = line.slice(0, line.length - partial);
    }
    return boundText(this.redact(line), max);
  }

  /**
   * A JSON-safe copy of `details`: every string redacted and bounded, the value under a
   * secret-named key masked whole, and the whole copy bounded (depth, keys, items, values).
   */
  details(value: unknown): Record<string, unknown> {
    // What one result may cost, whatever its shape: this many characters are read in all, and
    // strings past the budget are not read at all.
    let budget = DETAILS_LIMITS.textBudget;
    const deadline = performance.now() + DETAILS_LIMITS.redactionMs;
    const safe = jsonSafe(value, {
      text: (text) => {
        if (budget <= 0 || performance.now() > deadline) return '[truncated]';
        budget -= Math.min(text.length, READ_LIMIT);
        return this.output(text, DETAILS_LIMITS.stringLength);
      },
      isSecretKey: isSecretName,
      nodes: DETAILS_LIMITS.nodes,
    });
    return typeof safe === 'object' && safe !== null && !Array.isArray(safe)
      ? (safe as Record<string, unknown>)
      : { value: safe };
  }
}
