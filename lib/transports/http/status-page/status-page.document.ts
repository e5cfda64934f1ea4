import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_PAGE_SCRIPT } from './status-page.script.js';
import { STATUS_PAGE_STYLES } from './status-page.styles.js';

/*
 * @internal The status page: one self-contained document, the same bytes on every port and for
 * every application (everything it shows comes from its event stream, as text). Pure: the probe
 * server's worker serves it too.
 */

const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

const DOCUMENT = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>Health status</title>
<style>${STATUS_PAGE_STYLES}</style>
</head>
<body>
<a class="skip" href="#main">Skip to the status</a>
<header>
<div>
<h1>Health status</h1>
<p id="service" class="muted"></p>
</div>
<p id="connection" class="connection connecting" role="status" aria-live="polite">Connecting…</p>
</header>
<main id="main" tabindex="-1">
<noscript><p class="banner fail">This page needs JavaScript to show the status live.</p></noscript>
<section aria-labelledby="loop-title">
<h2 id="loop-title">Event loop</h2>
<p id="loop" class="banner">Waiting for the first update…</p>
</section>
<section aria-labelledby="probes-title">
<h2 id="probes-title">Probes and groups</h2>
<ul id="probes" class="cards"></ul>
</section>
<section aria-labelledby="checks-title">
<h2 id="checks-title">Checks</h2>
<div class="region" role="region" aria-labelledby="checks-title" tabindex="0">
<table class="stack" role="table" aria-labelledby="checks-title">
<thead role="rowgroup"><tr role="row">
<th scope="col" role="columnheader">Check</th>
<th scope="col" role="columnheader">Status</th>
<th scope="col" role="columnheader">Critical</th>
<th scope="col" role="columnheader">Output</th>
<th scope="col" role="columnheader">Last run</th>
<th scope="col" role="columnheader">Since last change</th>
</tr></thead>
<tbody id="checks" role="rowgroup"></tbody>
</table>
</div>
</section>
<section aria-labelledby="history-title">
<h2 id="history-title">Recent transitions <span class="muted">(newest first)</span></h2>
<div class="region" role="region" aria-labelledby="history-title" tabindex="0">
<ol id="history" class="history"></ol>
</div>
</section>
<section aria-labelledby="process-title">
<h2 id="process-title">Process</h2>
<dl id="process" class="process"></dl>
</section>
</main>
<footer class="muted">
<p id="source"></p>
<p id="updated"></p>
</footer>
<script>${STATUS_PAGE_SCRIPT}</script>
</body>
</html>
`;

/**
 * @internal What the page may load: its own script and style sheet (by hash), its event stream
 * (same origin), nothing else; no framing, no `<base>`, no form.
 */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${hash(STATUS_PAGE_SCRIPT)}`,
  `style-src ${hash(STATUS_PAGE_STYLES)}`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const BODY = Buffer.from(DOCUMENT);

/** @internal The headers of every answer of the status page's routes, the page's own. */
export const STATUS_PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
});

const PAGE_HEADERS = {
  ...STATUS_PAGE_HEADERS,
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Length': String(BODY.length),
  'Content-Security-Policy': STATUS_PAGE_CSP,
};

/** @internal Writes the page (its headers alone to a `HEAD`). */
export function writeStatusPage(request: IncomingMessage, response: ServerResponse): void {
  response.writeHead(200, PAGE_HEADERS);
  response.end(request.method === 'HEAD' ? undefined : BODY);
}
