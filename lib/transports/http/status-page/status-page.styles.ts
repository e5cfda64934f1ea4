/**
 * @internal The status page's style sheet, inline and allowed by its hash: light and dark
 * (`prefers-color-scheme`), a laptop or a phone. Statuses have a colour, a symbol and a word.
 */
export const STATUS_PAGE_STYLES = `
:root {
  color-scheme: light dark;
  --bg: #f5f6f8; --fg: #1b1f24; --muted: #57606a; --card: #fff; --line: #d0d7de;
  --pass: #1a7f37; --pass-bg: #dafbe1; --warn: #7d4e00; --warn-bg: #fff8c5;
  --fail: #b42318; --fail-bg: #ffebe9; --focus: #0969da;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --card: #161b22; --line: #30363d;
    --pass: #56d364; --pass-bg: #12261e; --warn: #e3b341; --warn-bg: #272115;
    --fail: #ff7b72; --fail-bg: #2d1214; --focus: #4493f8;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
}
header, main, footer { max-width: 76rem; margin: 0 auto; padding: 0 1rem; }
header {
  display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between;
  gap: .25rem 1.5rem; padding-top: 1rem;
}
h1 { font-size: 1.4rem; margin: 0; }
h2 { font-size: 1.05rem; margin: 1.6rem 0 .5rem; }
h3 { font-size: 1rem; margin: 0; }
p { margin: .25rem 0; }
.muted { color: var(--muted); }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 1rem; top: .5rem; z-index: 1; background: var(--card); padding: .5rem .75rem; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
main:focus { outline: none; }
.connection { font-weight: 600; margin: 0; }
.connection::before { content: "\\25CF  "; }
.connection.live { color: var(--pass); }
.connection.lost, .connection.connecting { color: var(--warn); }
.banner {
  margin-top: 1rem; padding: .75rem 1rem; border-radius: .5rem;
  border: 2px solid var(--line); background: var(--card);
}
.banner.fail { border-color: var(--fail); background: var(--fail-bg); font-weight: 600; }
.banner.warn { border-color: var(--warn); background: var(--warn-bg); }
.cards {
  display: grid; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr));
  gap: .75rem; list-style: none; margin: 0; padding: 0;
}
.card {
  background: var(--card); border: 1px solid var(--line); border-left: 6px solid var(--muted);
  border-radius: .5rem; padding: .6rem .8rem;
}
.card.pass { border-left-color: var(--pass); }
.card.warn { border-left-color: var(--warn); }
.card.fail { border-left-color: var(--fail); }
.card h3 { display: flex; justify-content: space-between; align-items: center; gap: .5rem; }
.badge {
  display: inline-block; white-space: nowrap; font-size: .78rem; font-weight: 700;
  letter-spacing: .04em; text-transform: uppercase; padding: .05rem .5rem;
  border: 1px solid currentColor; border-radius: 999px;
}
.badge.pass { color: var(--pass); background: var(--pass-bg); }
.badge.warn { color: var(--warn); background: var(--warn-bg); }
.badge.fail { color: var(--fail); background: var(--fail-bg); }
.badge.none { color: var(--muted); }
.region {
  overflow-x: auto; background: var(--card); border: 1px solid var(--line); border-radius: .5rem;
}
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; vertical-align: top; padding: .45rem .65rem; border-bottom: 1px solid var(--line); }
th { font-size: .78rem; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
tbody tr:last-child td { border-bottom: 0; }
.num { white-space: nowrap; font-variant-numeric: tabular-nums; }
.output {
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85rem;
  overflow-wrap: anywhere; white-space: pre-wrap;
}
.history { list-style: none; margin: 0; padding: 0; }
.history li { padding: .45rem .65rem; border-bottom: 1px solid var(--line); }
.history li:last-child { border-bottom: 0; }
.history time { font-variant-numeric: tabular-nums; color: var(--muted); margin-right: .5rem; }
.process {
  display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); gap: .75rem; margin: 0;
}
.process div { background: var(--card); border: 1px solid var(--line); border-radius: .5rem; padding: .5rem .75rem; }
dt { font-size: .78rem; color: var(--muted); }
dd { margin: 0; font-size: 1.1rem; font-variant-numeric: tabular-nums; }
footer { padding: 1.5rem 1rem 2rem; font-size: .85rem; }
@media (max-width: 40rem) {
  body { font-size: 14px; }
  .stack thead { position: absolute; left: -9999px; }
  .stack tr { display: block; padding: .35rem 0; border-bottom: 1px solid var(--line); }
  .stack tbody tr:last-child { border-bottom: 0; }
  .stack td { display: flex; gap: .75rem; border: 0; padding: .15rem .65rem; }
  .stack td::before {
    content: attr(data-label); flex: 0 0 6.5rem; color: var(--muted);
    font-size: .75rem; text-transform: uppercase; letter-spacing: .04em; padding-top: .1rem;
  }
}
`;
