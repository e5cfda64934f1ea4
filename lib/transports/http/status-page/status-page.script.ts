/**
 * @internal The status page's script, inline and allowed by its hash. It follows the event stream
 * beside the page (`<page>/events`), reconnecting when it drops, and renders each view it gets.
 * Every value from the server is set as text (`textContent`, text nodes, `setAttribute` of known
 * attributes): nothing it receives is ever read as markup. It decides no status: it shows the
 * ones it is sent, in words, symbols and colours.
 */
export const STATUS_PAGE_SCRIPT = String.raw`
'use strict';
(function () {
  var SYMBOL = { pass: '\u2714', warn: '\u25B2', fail: '\u2716' };
  var RANK = { fail: 0, warn: 1, pass: 2 };
  var LABELS = {
    uptime: ['Uptime', 'duration'], heapUsed: ['Heap used', 'bytes'], rss: ['Resident memory', 'bytes'],
    eventLoopDelayP99: ['Event loop delay p99', 'ms'], cpuUtilization: ['CPU', 'percent']
  };
  var view = null, receivedAt = 0, retryMs = 1000, timer = 0, source = null, drawn = {};
  var url = location.pathname.replace(/\/+$/, '') + '/events';

  function byId(id) { return document.getElementById(id); }
  function el(tag, className, children) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    (children || []).forEach(function (child) {
      if (child === undefined || child === null || child === '') return;
      node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
    });
    return node;
  }
  function cell(label, className, children) {
    var node = el('td', className, children);
    node.setAttribute('data-label', label);
    node.setAttribute('role', 'cell');
    return node;
  }
  function known(status) { return status === 'pass' || status === 'warn' || status === 'fail'; }
  function badge(status) {
    if (!known(status)) return el('span', 'badge none', ['no result yet']);
    return el('span', 'badge ' + status, [SYMBOL[status] + ' ' + status]);
  }
  function duration(ms) {
    if (!(ms >= 0)) return '';
    if (ms < 10) return ms.toFixed(1) + ' ms';
    if (ms < 1000) return Math.round(ms) + ' ms';
    var s = ms / 1000;
    if (s < 60) return (s < 10 ? s.toFixed(1) : String(Math.floor(s))) + ' s';
    var m = Math.floor(s / 60), h = Math.floor(m / 60);
    if (m < 60) return m + ' min ' + Math.floor(s % 60) + ' s';
    if (h < 48) return h + ' h ' + (m % 60) + ' min';
    return Math.floor(h / 24) + ' d ' + (h % 24) + ' h';
  }
  /** The server's clock now: its time when it sent the view, plus the time since. */
  function serverNow() { return Date.parse(view.at) + (performance.now() - receivedAt); }
  function since(ms) { return ms < 1000 ? 'just now' : duration(ms) + ' ago'; }
  function ago(iso) {
    var node = el('time', 'ago');
    var at = Date.parse(iso);
    if (isNaN(at)) return node;
    node.setAttribute('datetime', iso);
    node.title = new Date(at).toLocaleString();
    node.dataset.at = String(at);
    node.textContent = since(serverNow() - at);
    return node;
  }
  function tick() {
    if (!view) return;
    document.querySelectorAll('time.ago').forEach(function (node) {
      node.textContent = since(serverNow() - Number(node.dataset.at));
    });
    byId('updated').textContent = 'Last update: ' + since(performance.now() - receivedAt) + '.';
  }
  /** Redraws a part only when what it shows has changed. */
  function draw(name, data, paint) {
    var key = JSON.stringify(data);
    if (drawn[name] === key) return;
    drawn[name] = key;
    paint(data);
  }
  /** Text being selected (an output to copy) holds the page still until the selection goes. */
  function selecting() {
    var selection = window.getSelection();
    return Boolean(selection && !selection.isCollapsed && selection.toString());
  }

  function paintService(service) {
    var parts = [service.serviceId, service.description, service.version && 'version ' + service.version,
      service.releaseId && 'release ' + service.releaseId].filter(Boolean);
    byId('service').textContent = parts.join(' \u00B7 ');
  }
  function paintLoop(data) {
    var loop = data.loop, box = byId('loop');
    box.className = 'banner';
    box.removeAttribute('role');
    if (!loop) {
      box.textContent = 'Read on the application\u2019s own event loop: were it stuck, this page would ' +
        'stop updating. The probe server\u2019s status page reports a stall.';
    } else if (loop.stalled) {
      box.className = 'banner fail';
      box.setAttribute('role', 'alert');
      box.textContent = '\u2716 Stalled: ' + loop.output;
    } else if (loop.lateMs > 0) {
      box.className = 'banner warn';
      box.textContent = '\u25B2 Late: the event loop has not turned for ' + duration(loop.lateMs) +
        ' (a stall after ' + duration(loop.maxStallMs) + ').';
    } else {
      box.textContent = '\u2714 Turning: the probe server hears the event loop\u2019s heartbeat ' +
        '(a stall after ' + duration(loop.maxStallMs) + ').';
    }
  }
  function paintProbes(probes) {
    byId('probes').replaceChildren.apply(byId('probes'), probes.map(function (probe) {
      return el('li', 'card ' + (known(probe.status) ? probe.status : 'none'), [
        el('h3', null, [probe.name, badge(probe.status)]),
        el('p', 'muted', [probe.kind === 'group' ? 'group' : 'probe']),
        el('p', 'output', [probe.output])
      ]);
    }));
    var ready = probes.filter(function (probe) { return probe.name === 'ready'; })[0];
    document.title = (ready && known(ready.status) ? SYMBOL[ready.status] + ' ready ' + ready.status + ' \u2013 ' : '') +
      'Health status';
  }
  function paintChecks(checks) {
    var rows = checks.slice().sort(function (a, b) {
      return (RANK[a.status] - RANK[b.status]) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    }).map(function (check) {
      var row = el('tr', null, [
        cell('Check', null, [el('strong', null, [check.name])]),
        cell('Status', null, [badge(check.status)]),
        cell('Critical', null, [check.critical ? 'critical' : 'non-critical']),
        cell('Output', 'output', [check.output]),
        cell('Last run', 'num', [duration(check.durationMs), check.timedOut ? ' (timed out)' : '',
          el('br'), el('span', 'muted', [ago(check.observedAt)])]),
        cell('Since change', 'num', [check.changedAt ? ago(check.changedAt) : '\u2014'])
      ]);
      row.setAttribute('role', 'row');
      return row;
    });
    if (rows.length === 0) rows = [el('tr', null, [cell('Check', null, ['No check yet.'])])];
    byId('checks').replaceChildren.apply(byId('checks'), rows);
  }
  function paintHistory(transitions) {
    var items = transitions.map(function (change) {
      var at = new Date(change.at);
      var clock = el('time', null, [isNaN(at) ? '' : at.toLocaleTimeString()]);
      clock.setAttribute('datetime', change.at);
      return el('li', null, [clock, el('strong', null, [change.check]), ' ',
        change.from === 'unknown' ? 'first result ' : badge(change.from), change.from === 'unknown' ? '' : ' \u2192 ',
        badge(change.to), change.output ? el('span', 'output', [' ' + change.output]) : '']);
    });
    if (items.length === 0) items = [el('li', 'muted', ['No transition since start-up.'])];
    byId('history').replaceChildren.apply(byId('history'), items);
  }
  function paintProcess(diagnostics) {
    var items = diagnostics.map(function (entry) {
      var label = LABELS[entry.name] || [entry.name, entry.unit];
      var value = entry.value, shown = String(value === undefined ? '' : value) + (entry.unit ? ' ' + entry.unit : '');
      if (typeof value === 'number' && label[1] === 'bytes') shown = (value / 1048576).toFixed(1) + ' MiB';
      if (typeof value === 'number' && label[1] === 'duration') shown = duration(value * 1000);
      if (typeof value === 'number' && label[1] === 'percent') shown = value.toFixed(1) + ' %';
      return el('div', null, [el('dt', null, [label[0]]), el('dd', null, [shown])]);
    });
    if (items.length === 0) items = [el('div', 'muted', ['No diagnostics yet.'])];
    byId('process').replaceChildren.apply(byId('process'), items);
  }
  function render() {
    if (selecting()) return;
    draw('service', view.service || {}, paintService);
    draw('loop', { loop: view.eventLoop }, paintLoop);
    draw('probes', view.probes || [], paintProbes);
    draw('checks', view.checks || [], paintChecks);
    draw('history', view.transitions || [], paintHistory);
    draw('process', view.diagnostics || [], paintProcess);
    byId('source').textContent = view.source === 'probe-server'
      ? 'Served by the probe server, a worker thread: it answers, and reports a stall, while the application\u2019s event loop is stuck.'
      : 'Served on the application\u2019s own port.';
    tick();
  }

  function connection(state, message) {
    var node = byId('connection');
    node.className = 'connection ' + state;
    node.textContent = message;
  }
  function lost(why) {
    connection('lost', why + ' Reconnecting in ' + duration(retryMs) + '\u2026');
    clearTimeout(timer);
    timer = setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 10000);
  }
  function connect() {
    clearTimeout(timer);
    if (source) source.close();
    connection('connecting', 'Connecting\u2026');
    source = new EventSource(url);
    source.onopen = function () { retryMs = 1000; connection('live', 'Live'); };
    source.onmessage = function (event) {
      var next;
      try { next = JSON.parse(event.data); } catch (error) { return; }
      view = next;
      receivedAt = performance.now();
      render();
    };
    source.addEventListener('end', function (event) {
      source.close();
      lost('The server ended the live updates: ' + String(event.data) + '.');
    });
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) lost('The live updates were refused.');
      else connection('lost', 'Connection lost: reconnecting\u2026');
    };
  }
  document.addEventListener('selectionchange', function () { if (view && !selecting()) render(); });
  setInterval(tick, 1000);
  connect();
})();
`;
