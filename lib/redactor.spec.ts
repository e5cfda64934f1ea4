import { describe, expect, it } from '@jest/globals';
import { Redactor } from './redactor.js';

const redactor = new Redactor();

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
});
