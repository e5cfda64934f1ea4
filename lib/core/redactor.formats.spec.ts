import { describe, expect, it } from '@jest/globals';
import {
  FAKE_PIECES,
  FAKE_VALUE,
  SECRET_PAIRS,
  TOKEN_SAMPLES,
  URL_SAMPLES,
  fakeBody,
} from '../../test/support/secrets.js';
import { Redactor } from './redactor.js';

const redactor = new Redactor();

describe('Redactor, secret shapes in free text', () => {
  it.each(SECRET_PAIRS)('masks the value of %s', (pair) => {
    const redacted = redactor.redact(`rejected ${pair}, host=db.internal`);
    expect(redacted).not.toContain(FAKE_VALUE);
    expect(redacted).toMatch(/(?:=|: |":")"?\*\*\*"?, host=db\.internal$/);
  });

  it('reads on through the value of a pair whose name is not secret, for pairs of its own', () => {
    expect(redactor.redact('Error: password=hunter2')).toBe('Error: password=***');
    expect(redactor.redact('{"error":"login failed: token=abc123 rejected","code":7}')).toBe(
      '{"error":"login failed: token=*** rejected","code":7}',
    );
    expect(redactor.redact('a=b=c=SECRET_KEY=x1;d=4')).toBe('a=b=c=SECRET_KEY=***;d=4');
  });

  it.each([...TOKEN_SAMPLES, ...URL_SAMPLES])('masks a $format', ({ text, redacted }) => {
    expect(redactor.redact(text)).toBe(redacted);
  });

  it.each([...TOKEN_SAMPLES, ...URL_SAMPLES])('masks a $format in details', ({ text }) => {
    const details = redactor.details({ note: text, nested: [{ error: text }] });
    expect(JSON.stringify(details)).not.toMatch(FAKE_PIECES);
  });

  it('drops stack frames, which show the layout of the code', () => {
    const message =
      'Connection closed (Error [ERR_UNHANDLED_ERROR]: Unhandled error. (Channel ended)\n' +
      '    at Channel.emit (node:events:497:17)\n' +
      '    at Channel.accept (/srv/app/node_modules/amqplib/lib/channel.js:352:16)\n' +
      '    at async Promise.all (index 0)\n' +
      '    at file:///srv/app/dist/main.js:12:3\n' +
      '    at C:\\app\\main.js:4:5)';
    const output = redactor.output(message);
    expect(output).not.toMatch(/node_modules|channel\.js|main\.js|node:events|:\d+:\d+/);
    expect(output).toContain('Connection closed (Error [ERR_UNHANDLED_ERROR]: Unhandled error.');
    expect(redactor.output('at least 3 replicas at /health/ready')).toBe(
      'at least 3 replicas at /health/ready',
    );
  });

  it('masks Bearer in any case, and leaves the other schemes to their usual spelling', () => {
    const token = fakeBody(24);
    expect(redactor.redact(`BEARER ${token}, Bearer ${token}`)).toBe('BEARER ***, Bearer ***');
    expect(redactor.redact('token expired, basic checks passed')).toBe(
      'token expired, basic checks passed',
    );
  });

  it('masks every part of a Slack webhook path: services, workflows and triggers', () => {
    for (const kind of ['services', 'workflows', 'triggers']) {
      const url = `https://${'hooks.slack'}.com/${kind}/T0FAKE001/${fakeBody(24)}`;
      expect(redactor.redact(url)).toBe(`https://${'hooks.slack'}.com/${kind}/***`);
    }
  });

  it.each([
    'connected to db.internal:5432 in 12 ms',
    'timed out after 500 ms',
    'took 1.5s (p99 2.25 s), 3 retries',
    'SELECT 1',
    'host=db.internal port=5432 database=orders',
    'primaryKey=id',
    'keyspace=main',
    'monkey=1',
    'key_id=3, keyCount: 4',
    'sk-ip-list: disabled',
    'task-runner-for-the-nightly-sk-reports ok',
    'GET https://api.example.com/v1/users?page=2&limit=50 answered 200',
    'see https://hooks.example.com/services/payments ok',
    'password authentication failed for user "app"',
    'bearer token rejected',
    '2026-01-01T12:30:45.123Z',
  ])('leaves %j alone', (text) => {
    expect(redactor.redact(text)).toBe(text);
  });
});
