/**
 * @internal Which names hold a secret: the one test behind the keys of `details` (whose values
 * are masked whole) and the `name=value` pairs of free text, so that the two cannot disagree.
 *
 * A name is secret when it contains one of the secret words, in any case and any spelling
 * (`SECRET_KEY`, `secret-key`, `secretKey`, `app.secret.key`, `clientSecret`); when `key` is
 * qualified (`signing_key`, `apiKey`, `x-api-key`, `AccountKey`) or is the whole name; or when
 * its last word is one of a few short ones (`db_pwd`, `dbPwd`, `sig`), which inside a longer word
 * mean nothing (`bypass`, `sidecar`). A word inside another counts: `tokenizer` and `maxTokens`
 * are masked, since masking a harmless value costs less than serving a secret.
 */

/** Words that make a name secret wherever they appear in it. */
const ANYWHERE =
  'passw(?:or)?d|passphrase|secret|token|credential|signature|authorization|' +
  '(?:signing|private|api|access|client|encryption|account)[_.-]?key';
/** Words that make a name secret only as its last word, after a separator or in camel case. */
const LAST = 'pass|pwd|sig|auth|session(?:[_.-]?id)?|sid|cookie';

/** The words, the whole name `key`, and the short words after a separator: any case. */
export const SECRET_NAME = new RegExp(`${ANYWHERE}|^key$|(?:^|[_.-])(?:${LAST})$`, 'i');
/** The short words as the last word of a camel-case name (`dbPwd`, `userSessionId`). */
export const CAMEL_LAST_WORD = /[a-z0-9](?:Pass|Pwd|Sig|Auth|Session(?:Id|ID)?|Sid|Cookie)$/;

/** How much of each end of a name is read: names are short, an attacker's need not be. */
const EDGE = 128;

/** Whether the value under this name is a secret (a key of `details`, a `name=value` pair). */
export function isSecretName(name: string): boolean {
  const read = name.length <= 2 * EDGE ? name : `${name.slice(0, EDGE)} ${name.slice(-EDGE)}`;
  return SECRET_NAME.test(read) || CAMEL_LAST_WORD.test(read);
}
