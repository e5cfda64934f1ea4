/**
 * Fake secrets in the shapes the redactor must mask, shared by the unit and end-to-end tests.
 * Every token is assembled from pieces, so that secret scanners find nothing to flag in the
 * repository; none of them was ever valid.
 */

/** What every fake secret is made of: `FAKE_PIECES` finds any part of one in a response. */
const BODY = 'F4keT0kenN0tReaL9x';
/** Any of these in a text means a fake secret, or a part of one, got through. */
export const FAKE_PIECES = /f4ke|t0ken|n0treal|real9x|0fake0/i;

/** `length` characters that look like a token's: letters of both cases and digits. */
export function fakeBody(length: number): string {
  return BODY.repeat(Math.ceil(length / BODY.length)).slice(0, length);
}

/** A secret value for a `name=value` pair. */
export const FAKE_VALUE = `v4l-${fakeBody(14)}`;

/** One sample per well-known token format: the text it appears in, and the text as served. */
export interface TokenSample {
  format: string;
  text: string;
  redacted: string;
}

const within = (token: string) => `upstream rejected ${token} (attempt 2)`;
const sample = (format: string, token: string, redacted = '***'): TokenSample => ({
  format,
  text: within(token),
  redacted: within(redacted),
});

/** The well-known token formats, each in a sentence as an error message would hold it. */
export const TOKEN_SAMPLES: readonly TokenSample[] = [
  sample('Google API key', ['AI', 'za', 'Sy'].join('') + fakeBody(33)),
  sample('Slack bot token', `${'xo'}xb-2468013579-1357924680-${fakeBody(24)}`),
  sample('Slack user token', `${'xo'}xp-2468013579-1357924680-${fakeBody(24)}`),
  sample('Slack legacy token', `${'xo'}xa-2-2468013579-${fakeBody(24)}`),
  sample('GitHub classic token', `${'gh'}p_${fakeBody(36)}`),
  sample('GitHub fine-grained token', `${'github'}_pat_11${fakeBody(20)}_${fakeBody(59)}`),
  sample('GitLab token', `${'gl'}pat-${fakeBody(20)}`),
  sample('npm token', `${'np'}m_${fakeBody(36)}`),
  sample('OpenAI-style key', `${'s'}k-proj-${fakeBody(48)}`),
  sample('Stripe live key', `${'s'}k_live_${fakeBody(24)}`),
  sample('lower-case bearer', `bearer ${fakeBody(32)}`, 'bearer ***'),
];

/** Formats in URLs, where only the secret part of the address is masked. */
export const URL_SAMPLES: readonly TokenSample[] = [
  {
    format: 'Slack webhook',
    text: `POST https://${'hooks.slack'}.com/services/T0FAKE001/B0FAKE002/${fakeBody(24)} failed`,
    redacted: `POST https://${'hooks.slack'}.com/services/*** failed`,
  },
  {
    format: 'AWS presigned URL',
    text:
      'GET https://bucket.s3.amazonaws.com/a.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
      `&X-Amz-Credential=${'AKIA'}${fakeBody(16).toUpperCase()}%2F20260101%2Fus-east-1%2Fs3` +
      `&X-Amz-Signature=${fakeBody(64)} answered 403`,
    redacted:
      'GET https://bucket.s3.amazonaws.com/a.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
      '&X-Amz-Credential=***&X-Amz-Signature=*** answered 403',
  },
];

/** Secret names in every spelling, as environments, configs and headers carry them. */
export const SECRET_NAMES: readonly string[] = [
  'SECRET_KEY',
  'secretKey',
  'secret-key',
  'app.secret.key',
  'signing_key',
  'SIGNING_KEY',
  'signingKey',
  'x-api-key',
  'clientSecret',
  'DB_PASSWORD',
  'aws_session_token',
  'encryption.key',
  'privateKey',
  'passphrase',
  'credentials',
  'key',
];

/** Each secret name as a `name=value` pair, a `name: value` one and a JSON member. */
export const SECRET_PAIRS: readonly string[] = SECRET_NAMES.flatMap((name) => [
  `${name}=${FAKE_VALUE}`,
  `${name}: ${FAKE_VALUE}`,
  `"${name}":"${FAKE_VALUE}"`,
]);
