import { describe, expect, it } from '@jest/globals';
import { Redactor } from './redactor.js';
import { isSecretName } from './secret-name.matcher.js';

/** Secret names, by what makes them secret and how they are spelled. */
const SECRET: Record<string, string[]> = {
  snake: ['secret_key', 'db_password', 'client_secret', 'auth_token', 'signing_key', 'db_pwd'],
  kebab: ['secret-key', 'x-auth-token', 'client-secret', 'x-api-key', 'set-cookie', 'db-pass'],
  camel: ['secretKey', 'dbPassword', 'clientSecret', 'accessToken', 'signingKey', 'dbPwd'],
  dotted: ['app.secret.key', 'spring.datasource.password', 'jwt.signing.key', 'redis.auth'],
  upper: ['SECRET_KEY', 'DB_PASSWORD', 'GITHUB_TOKEN', 'SIGNING_KEY', 'API_KEY', 'DB_PASS'],
  mixed: [
    'X-Secret-Key',
    'Secret_Key',
    'X-Amz-Signature',
    'X-Amz-Credential',
    'Proxy-Authorization',
  ],
  'every word': ['passwd', 'passphrase', 'credentials', 'signature', 'authorization', 'tokens'],
  'qualified key': [
    'signing_key',
    'private.key',
    'apiKey',
    'ACCESS_KEY',
    'client-key',
    'encryptionKey',
    'AccountKey',
    'privateKeyPath',
  ],
  'the whole name key': ['key', 'KEY', 'Key'],
  'a short last word': ['pass', 'pwd', 'sig', 'auth', 'sid', 'cookie', 'sessionId', 'user_session'],
};

/** Names that hold nothing secret: `key` unqualified or inside a word, short words inside others. */
const PLAIN = [
  'primaryKey',
  'primary_key',
  'keyspace',
  'monkey',
  'hotkey',
  'keyCount',
  'key_id',
  'bypass',
  'passenger',
  'compass',
  'sidecar',
  'author',
  'authority',
  'oauthProvider',
  'host',
  'port',
  'url',
  'db.internal',
  'retries',
  'latencyMs',
];

describe('isSecretName', () => {
  describe.each(Object.entries(SECRET))('%s', (_, names) => {
    it.each(names)('%s is secret', (name) => {
      expect(isSecretName(name)).toBe(true);
    });
  });

  it.each(PLAIN)('%s is not', (name) => {
    expect(isSecretName(name)).toBe(false);
  });

  it('takes a name with a secret word inside another word for a secret: tokenizer, maxTokens', () => {
    // Deliberate: masking a harmless value costs less than serving a secret.
    expect(['tokenizer', 'maxTokens', 'secretary'].map(isSecretName)).toEqual([true, true, true]);
  });

  it('reads at most 128 characters at each end of an enormous name', () => {
    expect(isSecretName(`${'a'.repeat(100_000)}_password`)).toBe(true);
    expect(isSecretName(`password_${'a'.repeat(100_000)}`)).toBe(true);
    expect(isSecretName(`${'a'.repeat(200)}password${'a'.repeat(200)}`)).toBe(false);
  });

  it('decides for details and for free text alike', () => {
    const redactor = new Redactor();
    for (const name of [...Object.values(SECRET).flat(), ...PLAIN, 'tokenizer']) {
      const secret = isSecretName(name);
      expect([name, redactor.details({ [name]: 'v4lue' })[name] === '***']).toEqual([name, secret]);
      for (const pair of [`${name}=v4lue`, `${name}: v4lue`, `{"${name}":"v4lue"}`]) {
        expect([pair, !redactor.redact(pair).includes('v4lue')]).toEqual([pair, secret]);
      }
    }
  });
});
