import { describe, expect, it } from '@jest/globals';
import { check } from 'recheck';
import { looksSuperlinear } from './redaction-rule.audit.js';
import { Redactor } from './redactor.js';
import { CAMEL_LAST_WORD, SECRET_NAME } from './secret-name.matcher.js';
import { PAIR_HEAD, PAIR_VALUE } from './secret-pair.masker.js';

const redactor = new Redactor();
/** Every pattern redaction runs: the rules, and those the name=value rule's function uses. */
const BUILT_IN = [
  ...Redactor.defaultRules.map(({ pattern }) => pattern),
  PAIR_HEAD,
  PAIR_VALUE,
  SECRET_NAME,
  CAMEL_LAST_WORD,
];

describe('Redactor', () => {
  it.each([
    ['postgres://app:hunter2@db:5432/orders', 'postgres://app:***@db:5432/orders'],
    ['redis://:s3cr3t@cache:6379/0', 'redis://:***@cache:6379/0'],
    ['amqp://guest:guest@rabbit:5672', 'amqp://guest:***@rabbit:5672'],
    ['mysql://root:p%40ss@127.0.0.1/test failed', 'mysql://root:***@127.0.0.1/test failed'],
    ['connect to https://example.com/path ok', 'connect to https://example.com/path ok'],
    ['password=hunter2 host=db', 'password=*** host=db'],
    ['PWD=abc;user=x', 'PWD=***;user=x'],
    ['secret: topsecret', 'secret: ***'],
    ['token=abc123&x=1', 'token=***&x=1'],
    ['db_password="a b c" next', 'db_password="***" next'],
    ['{"password":"hunter2","user":"app"}', '{"password":"***","user":"app"}'],
    ["apiKey='k-123'", "apiKey='***'"],
    ['x-api-key: 0123456789', 'x-api-key: ***'],
    ['Authorization: Bearer eyJhbGciOi.payload.sig', 'Authorization: ***'],
    ['got 401 with Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc', 'got 401 with Bearer ***'],
    ['Basic dXNlcjpwYXNz rejected', 'Basic *** rejected'],
    ['key AKIAIOSFODNN7EXAMPLE denied', 'key *** denied'],
    ['aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws_secret_access_key=***'],
    ['-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----', '***'],
    ['postgres://app:p@ss@db/x', 'postgres://app:***@db/x'],
    ['postgres://app:pa/ss@db', 'postgres://app:***@db'],
    ['redis://:abc#def@cache', 'redis://:***@cache'],
    ['redis://:abc?def@cache:6379', 'redis://:***@cache:6379'],
    ['https://ghp_0123456789abcdef0123@github.com/x', 'https://***@github.com/x'],
    ['pass=hunter2 user=x', 'pass=*** user=x'],
    ['bypass=true', 'bypass=true'],
    [
      'AccountName=a;AccountKey=Zm9vYmFy==;EndpointSuffix=x',
      'AccountName=a;AccountKey=***;EndpointSuffix=x',
    ],
    [
      'https://x.blob.core.windows.net/c?sv=2020&sig=abcDEF%2B123&se=1',
      'https://x.blob.core.windows.net/c?sv=2020&sig=***&se=1',
    ],
    ['Cookie: session=abc; theme=dark', 'Cookie: ***'],
    ['set-cookie: sid=abc; HttpOnly', 'set-cookie: ***'],
    ['Authorization: Negotiate YIIJvwYGKwYBBQUCoIIJszCCCa', 'Authorization: ***'],
    ['stripe key sk_live_51Habcdefghijklmnop rejected', 'stripe key *** rejected'],
    ['token ghp_abcdefghijklmnopqrstuvwxyz0123 expired', 'token *** expired'],
    ['jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abcdefgh expired', 'jwt *** expired'],
    [
      "Access denied for user 'root'@'127.0.0.1' (using password: YES)",
      "Access denied for user 'root'@'127.0.0.1' (using password: YES)",
    ],
    ['connection refused', 'connection refused'],
    ['timed out after 500 ms', 'timed out after 500 ms'],
  ])('masks %j', (text, expected) => {
    expect(redactor.redact(text)).toBe(expected);
  });

  it('bounds an output after redacting it, so a secret at the cut is still masked', () => {
    const text = `${'x'.repeat(500)} password=${'s'.repeat(100)}`;
    const output = redactor.output(text);
    expect(output).not.toContain('sss');
    expect(output.length).toBeLessThanOrEqual(512);
  });

  it('masks a secret cut off by the read limit, instead of leaking its first half', () => {
    const output = redactor.output(`failed:${' '.repeat(4070)}postgres://user:hunter2hunter2@db/x`);
    expect(output).not.toContain('hun');
    const long = redactor.output(`${'y '.repeat(2040)}postgres://user:hunter2hunter2hunter2@db/x`);
    expect(long).not.toContain('hunter');
  });

  it('redacts a string in details before bounding it', () => {
    const note = `${'x'.repeat(470)} postgres://user:hunter2hunter2hunter2hunter2@db:5432/x`;
    expect(JSON.stringify(redactor.details({ note }))).not.toContain('hunter');
  });

  it('masks the whole value under a secret-named key, whatever its shape', () => {
    expect(
      redactor.details({
        password: ['hunter2'],
        tokens: { a: 'tok-abc' },
        auth: { user: 'u', pass: 'p' },
        bypass: 'visible',
      }),
    ).toEqual({ password: '***', tokens: '***', auth: '***', bypass: 'visible' });
  });

  it('masks the whole text when a rule of the user throws', () => {
    const broken = new Redactor([
      {
        pattern: /x/,
        replacement: () => {
          throw new Error('bad rule');
        },
      },
    ]);
    expect(broken.redact('x marks the spot')).toBe('***');
  });

  it('masks secret-named keys and every string in details', () => {
    expect(
      redactor.details({
        password: 'hunter2',
        apiKey: 12345,
        nested: { url: 'postgres://u:p@h/db', sessionId: 'abc' },
        list: ['token=abc'],
        host: 'db',
      }),
    ).toEqual({
      password: '***',
      apiKey: '***',
      nested: { url: 'postgres://u:***@h/db', sessionId: '***' },
      list: ['token=***'],
      host: 'db',
    });
  });

  it('takes rules of the user, as RegExps or with a replacement', () => {
    const custom = new Redactor([
      /\bacct-\d{6}\b/,
      { pattern: /tenant=(\w+)/g, replacement: 'tenant=<$1-hidden>' },
    ]);
    expect(custom.redact('acct-123456 for tenant=acme')).toBe('*** for tenant=<acme-hidden>');
    expect(custom.redact('password=x')).toBe('password=***');
  });

  it('gives the same answer on every call (no state left in global RegExps)', () => {
    const text = 'password=a password=b';
    expect(redactor.redact(text)).toBe(redactor.redact(text));
  });

  describe('cost', () => {
    it('has no built-in pattern that recheck, a ReDoS checker, finds vulnerable', async () => {
      const verdicts = await Promise.all(
        BUILT_IN.map(async (pattern) => {
          // Steps, not time: on a busy machine a time limit turns verdicts to "unknown" or worse.
          const result = await check(pattern.source, pattern.flags, {
            timeout: null,
            attackTimeout: null,
            incubationTimeout: null,
            seedingTimeout: null,
            randomSeed: 0,
          });
          return `${result.status} ${pattern}`;
        }),
      );
      for (const verdict of verdicts) expect(verdict).toMatch(/^safe /);
    }, 120_000);

    it('has no built-in pattern that the start-up probe finds superlinear', () => {
      for (const pattern of BUILT_IN) {
        expect([pattern, looksSuperlinear(pattern)]).toEqual([pattern, false]);
      }
    });

    it('probes find superlinear patterns: nested quantifiers, and global searches that rescan', () => {
      for (const pattern of [
        /(a+)+b/,
        /^(\w+\s?)*$/,
        /[a-z]*[a-z0-9]*=/gi,
        // The URL and key=value rules before they were made linear.
        /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/?#@]*):\S*@/gi,
        /([A-Za-z0-9_.-]*(?:password|secret|token))(\s*[=:]\s*)([^\s&;,]+)/gi,
        /(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]*:\/\/)((?:[^\s@]*@)*)/g,
      ]) {
        expect([pattern, looksSuperlinear(pattern)]).toEqual([pattern, true]);
      }
      expect(looksSuperlinear(/\bacct-\d{6}\b/)).toBe(false);
    });

    it('masks secrets in adversarial texts of every built-in rule’s shape', () => {
      expect(redactor.redact('a://x:'.repeat(3) + 'postgres://u:hunter2@db')).not.toContain(
        'hunter2',
      );
      expect(redactor.redact('password="'.repeat(3) + 'x')).toBe('password="***"password="***');
      expect(redactor.redact('https://host/a?next=postgres://u:hunter2@db/x')).toBe(
        'https://host/a?next=postgres://u:***@db/x',
      );
      expect(redactor.redact('see https://example.com/@user:profile ok')).toBe(
        'see https://example.com/@user:profile ok',
      );
    });

    it('reads at most a budget of text per result: later strings are not read at all', () => {
      const details = redactor.details({
        lines: Array.from({ length: 50 }, () => 'x'.repeat(8192)),
      });
      const lines = details.lines as string[];
      expect(lines.filter((line) => line === '[truncated]').length).toBeGreaterThan(0);
      expect(lines[0]).toHaveLength(512);
    });
  });
});
