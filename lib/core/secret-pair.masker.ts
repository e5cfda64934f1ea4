import { isSecretName } from './secret-name.matcher.js';

/**
 * @internal The name and separator of a pair: `name=`, `name: `, `"name":`. A name starts where
 * no name character precedes it, so a long run of them is read once, not once per character.
 */
export const PAIR_HEAD = /(?<![A-Za-z0-9_.-])(["']?)([A-Za-z0-9_.-]+)\1\s*[=:]\s*/g;
/**
 * @internal The value after a head: quoted (to its closing quote, or to the end when there is
 * none), or up to a delimiter.
 */
export const PAIR_VALUE = /"(?:[^"\\]|\\.)*"?|'[^']*'?|[^\s&;,"'})\]]+/y;

/**
 * @internal Masks the value of every `name=value`, `name: value` and `"name":"value"` pair whose
 * name is secret (`isSecretName`). The value of any other pair is read on for pairs of its own:
 * `Error: password=...`, `{"error":"failed: token=..."}`; a pattern that took it whole would hide
 * them. Linear: the heads are found in one left-to-right search, and only a secret pair's value,
 * which is then skipped, is read by a second pattern.
 */
export function maskPairs(text: string, mask: string): string {
  let result = '';
  let copied = 0;
  PAIR_HEAD.lastIndex = 0;
  for (let head = PAIR_HEAD.exec(text); head !== null; head = PAIR_HEAD.exec(text)) {
    if (!isSecretName(head[2])) continue;
    PAIR_VALUE.lastIndex = PAIR_HEAD.lastIndex;
    const value = PAIR_VALUE.exec(text)?.[0];
    // MySQL's "(using password: YES)" says whether one was sent, not what it is.
    if (value === undefined || value === 'YES' || value === 'NO') continue;
    const quote = value[0] === '"' || value[0] === "'" ? value[0] : '';
    const closed = quote && value.length > 1 && value.endsWith(quote) ? quote : '';
    result += `${text.slice(copied, PAIR_HEAD.lastIndex)}${quote}${mask}${closed}`;
    copied = PAIR_HEAD.lastIndex = PAIR_VALUE.lastIndex;
  }
  return result + text.slice(copied);
}
