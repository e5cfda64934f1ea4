/**
 * Scenario 8 of the benchmark (`node --expose-gc redaction.js`, one JSON line): what redaction costs on
 * adversarial texts of 1 KiB to 1 MiB, each made of one short piece repeated (the shapes that
 * make a backtracking pattern rescan), with the built-in rules; and, side by side on the smaller
 * sizes, the two rules of version 0.1 that were quadratic, to show the difference in one run.
 */
import { Redactor } from 'nestjs-probes';

const SIZES_KIB = [1, 4, 16, 64, 256, 1024];
/** The old rules grow with the square of the input: beyond this they take seconds to minutes. */
const LEGACY_MAX_KIB = 16;

/** Pieces that each rule family, unfixed, would rescan from every occurrence. */
const PIECES: Record<string, string> = {
  'a-': 'a-',
  x: 'x',
  'a://x:': 'a://x:',
  'password="': 'password="',
  'eyJ-': 'eyJ-',
  'token=': 'token=',
  'Bearer ': 'Bearer ',
  '"a":"': '"a":"',
  // Pairs whose names are not secret, each read on for pairs in its value; secret ones, each masked.
  'a=': 'a=',
  'password=x ': 'password=x ',
  'bearer ': 'bearer ',
  'sk-': 'sk-',
  'glpat-': 'glpat-',
  'hooks.slack.com/services/': 'hooks.slack.com/services/',
};

const SECRET_WORDS =
  'passw(?:or)?d|passphrase|secret|token|api[_-]?key|access[_-]?key|account[_-]?key|private[_-]?key|credentials?|x-api-key';
const SECRET_SHORT = 'pass|pwd|sig|signature|auth|session(?:[_-]?id)?|sid|cookie';
/** Version 0.1's URL-credential and key=value rules, as they were. */
const LEGACY_RULES = [
  /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/?#@]*):\S*@(?=[^\s@]*)/gi,
  new RegExp(
    `(["']?)([A-Za-z0-9_.-]*(?:${SECRET_WORDS})|(?<![A-Za-z0-9])(?:[A-Za-z0-9_.-]*[_.-])?(?:${SECRET_SHORT}))\\1(\\s*[=:]\\s*)("(?:[^"\\\\]|\\\\.)*"|'[^']*'|[^\\s&;,"'})\\]]+)`,
    'gi',
  ),
];

const text = (piece: string, kib: number) =>
  piece.repeat(Math.ceil((kib * 1024) / piece.length)).slice(0, kib * 1024);

/** The best of a few runs, in ms: the cost of the work, not of a pause of the collector. */
function best(run: () => void, times = 3): number {
  let fastest = Infinity;
  for (let i = 0; i < times; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    const started = performance.now();
    run();
    fastest = Math.min(fastest, performance.now() - started);
  }
  return Math.round(fastest * 1000) / 1000;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/**
 * How the time grows with the size: the slope of log(time) against log(size), least squares.
 * 1 is linear, 2 quadratic.
 */
function exponent(sizes: number[], times: number[]): number {
  const xs = sizes.map(Math.log);
  const ys = times.map((t) => Math.log(Math.max(t, 0.001)));
  const [mx, my] = [mean(xs), mean(ys)];
  const covariance = xs.reduce((sum, x, i) => sum + (x - mx) * (ys[i] - my), 0);
  const variance = xs.reduce((sum, x) => sum + (x - mx) ** 2, 0);
  return Math.round((covariance / variance) * 100) / 100;
}

const redactor = new Redactor();
const rows = Object.entries(PIECES).map(([name, piece]) => {
  const ms = SIZES_KIB.map((kib) => best(() => redactor.redact(text(piece, kib)), 5));
  const legacyMs = SIZES_KIB.filter((kib) => kib <= LEGACY_MAX_KIB).map((kib) =>
    best(() => {
      for (const rule of LEGACY_RULES) text(piece, kib).replace(rule, '***');
    }, 1),
  );
  return {
    piece: name,
    ms,
    legacyMs,
    exponent: exponent(SIZES_KIB.slice(2), ms.slice(2)),
    legacyExponent: exponent(SIZES_KIB.slice(0, legacyMs.length), legacyMs),
  };
});

console.log(JSON.stringify({ sizesKiB: SIZES_KIB, legacyMaxKiB: LEGACY_MAX_KIB, rows }));
process.exit(0);
