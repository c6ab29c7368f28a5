// The observatory UI: plain JavaScript, no build step, no third-party code.
// Pages: search (/, /search), trace (/trace/<id>), service map (/map), RED (/monitor),
// GenAI (/genai), alerts (/alerts). Data comes from /api/ui/*, /api/services and /api/alerts.
'use strict';

(function () {
  const main = document.getElementById('main');
  const ROW = 22;
  const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
  const PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#b279a2', '#e45756', '#72b7b2', '#eeca3b',
    '#9d755d', '#ff9da6', '#bab0ac', '#2f4b7c', '#a05195'];
  let pageToken = 0; // increases on every navigation: late answers for old pages are ignored

  // ---------- helpers ----------

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === null || v === undefined || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'text') el.textContent = v;
        else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
        else if (k === 'dataset') Object.assign(el.dataset, v);
        else el.setAttribute(k, v === true ? '' : v);
      }
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  function svgEl(tag, attrs, ...children) {
    const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'text') el.textContent = v; else el.setAttribute(k, v);
    }
    for (const c of children.flat()) if (c) el.append(c);
    return el;
  }

  async function api(path) {
    const response = await fetch(path, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    let body = null;
    try { body = await response.json(); } catch (e) { /* not JSON */ }
    if (!response.ok) {
      const message = body && (body.error && body.error.message
        || body.errors && body.errors[0] && body.errors[0].msg) || response.statusText;
      const error = new Error(message || ('HTTP ' + response.status));
      error.status = response.status;
      throw error;
    }
    return body;
  }

  function fmtDuration(micros) {
    if (micros === null || micros === undefined || isNaN(micros)) return '–';
    if (micros < 1000) return micros + 'µs';
    if (micros < 1e6) return (micros / 1000).toFixed(micros < 1e4 ? 2 : 1) + 'ms';
    return (micros / 1e6).toFixed(2) + 's';
  }
  function fmtMs(ms) { return ms === null || ms === undefined ? '–' : fmtDuration(Math.round(ms * 1000)); }
  function fmtPct(r) { return r === null || r === undefined ? '–' : (r * 100).toFixed(r < 0.1 ? 2 : 1) + '%'; }
  function fmtRate(r) { return r === null || r === undefined ? '–' : (r >= 10 ? r.toFixed(0) : r.toFixed(2)) + '/s'; }
  function fmtTime(epochMicros) { return new Date(epochMicros / 1000).toLocaleString(); }
  function colorOf(i) { return PALETTE[i % PALETTE.length]; }
  function serviceColor(name) {
    let hash = 0;
    for (let i = 0; i < name.length; i++) hash = (hash * 31 + name.charCodeAt(i)) | 0;
    return colorOf(Math.abs(hash));
  }
  function errorBox(e) {
    return h('div', { class: 'panel error-text', role: 'alert' }, e.message || String(e));
  }

  function navigate(url, replace) {
    if (replace) history.replaceState(null, '', url); else history.pushState(null, '', url);
    route();
  }

  document.addEventListener('click', (event) => {
    const a = event.target.closest('a');
    if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey
      || event.shiftKey || a.target === '_blank') return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || !isPage(url.pathname)) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
  window.addEventListener('popstate', route);
  document.getElementById('goto').addEventListener('submit', (event) => {
    event.preventDefault();
    const id = event.target.elements.id.value.trim();
    if (id) navigate('/trace/' + encodeURIComponent(id));
  });

  function isPage(path) {
    return path === '/' || /^\/(search|map|monitor|genai|alerts)$/.test(path) || path.startsWith('/trace/');
  }

  function route() {
    const token = ++pageToken;
    const path = location.pathname;
    const params = new URLSearchParams(location.search);
    let page = 'search';
    if (path.startsWith('/trace/')) page = 'trace';
    else if (path !== '/' && path !== '/search') page = path.slice(1);
    for (const a of document.querySelectorAll('header nav a')) {
      a.classList.toggle('active', a.dataset.page === page);
    }
    main.replaceChildren();
    const pages = { search: searchPage, trace: tracePage, map: mapPage, monitor: monitorPage, genai: genaiPage, alerts: alertsPage };
    (pages[page] || searchPage)(params, token, decodeURIComponent(path.slice('/trace/'.length)));
    refreshAlertBadge();
  }

  async function refreshAlertBadge() {
    try {
      const body = await api('/api/alerts');
      const firing = body.alerts.filter((a) => a.state === 'firing').length;
      const badge = document.getElementById('alert-count');
      badge.hidden = firing === 0;
      badge.textContent = firing;
    } catch (e) { /* the badge is optional */ }
  }

  // ---------- search ----------

  async function searchPage(params, token) {
    const form = h('form', { class: 'search panel', id: 'search-form' });
    const service = h('select', { name: 'service', id: 'service' });
    const operation = h('select', { name: 'operation', id: 'operation' }, h('option', { value: '' }, 'all'));
    const tags = h('input', { name: 'tags', id: 'tags', placeholder: 'error=true http.route=/api/chat' });
    const minD = h('input', { name: 'minDuration', id: 'minDuration', placeholder: 'e.g. 100ms' });
    const maxD = h('input', { name: 'maxDuration', id: 'maxDuration', placeholder: 'e.g. 2s' });
    const lookback = h('select', { name: 'lookback', id: 'lookback' },
      ['5m', '15m', '1h', '6h', '24h', '48h'].map((v) => h('option', { value: v }, 'last ' + v)));
    const limit = h('input', { name: 'limit', id: 'limit', type: 'number', min: 1, max: 1000, value: 20 });
    form.append(
      h('label', null, 'Service', service),
      h('label', null, 'Operation', operation),
      h('label', null, 'Tags (key=value, space separated)', tags),
      h('div', { class: 'row2' }, h('label', null, 'Min duration', minD), h('label', null, 'Max duration', maxD)),
      h('div', { class: 'row2' }, h('label', null, 'Time', lookback), h('label', null, 'Limit', limit)),
      h('button', { type: 'submit', id: 'find' }, 'Find traces'));
    const results = h('div', { class: 'results', id: 'results' });
    main.append(h('div', { class: 'layout-search' }, form, h('div', null, results)));

    let services = [];
    try { services = (await api('/api/services')).data || []; } catch (e) { results.append(errorBox(e)); }
    if (token !== pageToken) return;
    if (services.length === 0) {
      service.append(h('option', { value: '' }, 'no services yet'));
      results.append(h('p', { class: 'muted' }, 'No traces received yet. Services export OTLP to :4318 or Zipkin to :9411.'));
      return;
    }
    services.forEach((s) => service.append(h('option', { value: s }, s)));
    const wanted = params.get('service') || services[0];
    service.value = services.includes(wanted) ? wanted : services[0];
    tags.value = params.get('tags') || '';
    minD.value = params.get('minDuration') || '';
    maxD.value = params.get('maxDuration') || '';
    lookback.value = params.get('lookback') || '1h';
    limit.value = params.get('limit') || '20';

    async function loadOperations(selected) {
      operation.replaceChildren(h('option', { value: '' }, 'all'));
      try {
        const ops = (await api('/api/services/' + encodeURIComponent(service.value) + '/operations')).data || [];
        ops.forEach((o) => operation.append(h('option', { value: o }, o)));
        if (selected && ops.includes(selected)) operation.value = selected;
      } catch (e) { /* leave "all" */ }
    }
    service.addEventListener('change', () => loadOperations(''));
    await loadOperations(params.get('operation'));

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const q = new URLSearchParams();
      q.set('service', service.value);
      if (operation.value) q.set('operation', operation.value);
      if (tags.value.trim()) q.set('tags', tags.value.trim());
      if (minD.value.trim()) q.set('minDuration', minD.value.trim());
      if (maxD.value.trim()) q.set('maxDuration', maxD.value.trim());
      q.set('lookback', lookback.value);
      q.set('limit', limit.value || '20');
      navigate('/search?' + q.toString());
    });
    if (params.get('service')) runSearch(params, results, token);
  }

  function tagsToJson(text) {
    const tags = {};
    for (const part of text.match(/(?:[^\s"]+|"[^"]*")+/g) || []) {
      const eq = part.indexOf('=');
      if (eq <= 0) throw new Error('tags are key=value pairs separated by spaces: ' + part);
      tags[part.slice(0, eq)] = part.slice(eq + 1).replace(/^"(.*)"$/, '$1');
    }
    return JSON.stringify(tags);
  }

  async function runSearch(params, results, token) {
    results.replaceChildren(h('p', { class: 'muted' }, 'Searching…'));
    const q = new URLSearchParams();
    for (const key of ['service', 'operation', 'minDuration', 'maxDuration', 'lookback', 'limit']) {
      if (params.get(key)) q.set(key, params.get(key));
    }
    let body;
    try {
      if (params.get('tags')) q.set('tags', tagsToJson(params.get('tags')));
      body = await api('/api/ui/search?' + q.toString());
    } catch (e) {
      if (token === pageToken) results.replaceChildren(errorBox(e));
      return;
    }
    if (token !== pageToken) return;
    const traces = body.traces.slice().sort((a, b) => b.start - a.start);
    results.replaceChildren(
      h('div', { class: 'muted', id: 'result-count' }, traces.length + (traces.length === 1 ? ' trace' : ' traces')));
    if (traces.length === 0) return;
    results.append(scatter(traces));
    const list = h('div', { class: 'panel', style: 'padding:0' });
    for (const t of traces) {
      list.append(h('a', { class: 'result', href: '/trace/' + t.traceId, dataset: { traceId: t.traceId } },
        h('div', null,
          h('div', { class: 'title' }, t.rootService + ': ' + t.rootName),
          h('div', null, t.services.map((s) => h('span', { class: 'tag' }, s.name + ' (' + s.spans + ')')),
            t.errors ? h('span', { class: 'tag err' }, t.errors + ' errors') : null)),
        h('div', { style: 'text-align:right' },
          h('div', { class: 'title' }, fmtDuration(t.duration)),
          h('div', { class: 'meta' }, t.spans + ' spans · ' + fmtTime(t.start)),
          h('div', { class: 'meta mono' }, t.traceId.slice(0, 16)))));
    }
    results.append(list);
  }

  function scatter(traces) {
    const width = 900, height = 160, pad = 36;
    const xs = traces.map((t) => t.start), ys = traces.map((t) => t.duration);
    const x0 = Math.min(...xs), x1 = Math.max(...xs) || x0 + 1, y1 = Math.max(...ys) || 1;
    const x = (v) => pad + (x1 === x0 ? (width - pad * 2) / 2 : (v - x0) / (x1 - x0) * (width - pad * 2));
    const y = (v) => height - 20 - v / y1 * (height - 36);
    const svg = svgEl('svg', { class: 'scatter panel', viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img',
      'aria-label': 'trace durations over time' });
    svg.append(svgEl('text', { x: 4, y: 12, text: fmtDuration(y1) }), svgEl('text', { x: 4, y: height - 20, text: '0' }));
    for (const t of traces) {
      const c = svgEl('circle', { cx: x(t.start), cy: y(t.duration), r: Math.min(10, 3 + Math.log2(t.spans)),
        fill: t.errors ? '#d33a3a' : '#4c78a8', 'fill-opacity': 0.6 });
      c.append(svgEl('title', { text: `${t.rootName} · ${fmtDuration(t.duration)} · ${t.spans} spans` }));
      c.addEventListener('click', () => navigate('/trace/' + t.traceId));
      svg.append(c);
    }
    return svg;
  }

  // ---------- trace ----------

  async function tracePage(params, token, traceId) {
    const t0 = performance.now();
    const view = h('div', { id: 'trace', dataset: { ready: '0' } }, h('p', { class: 'muted' }, 'Loading trace…'));
    main.append(view);
    let data;
    try {
      const response = await fetch('/api/ui/trace/' + encodeURIComponent(traceId), { credentials: 'same-origin' });
      const text = await response.text();
      var fetchMs = performance.now() - t0;
      data = JSON.parse(text);
      if (!response.ok) throw new Error(data.error ? data.error.message : 'HTTP ' + response.status);
    } catch (e) {
      if (token === pageToken) view.replaceChildren(errorBox(e));
      view.dataset.ready = 'error';
      return;
    }
    if (token !== pageToken) return;
    const parsed = performance.now();
    const model = buildModel(data);
    const built = performance.now();
    renderTrace(view, model, token);
    view.dataset.ready = '1';
    const done = performance.now();
    window.__uatTraceTiming = {
      spans: model.n, fetchAndParseMs: parsed - t0, fetchMs: fetchMs, modelMs: built - parsed,
      renderMs: done - built, sinceClickMs: done - t0, sinceNavigationMs: done,
    };
  }

  /** Children lists, depth-first order, depths and the critical path, in typed arrays. */
  function buildModel(data) {
    const s = data.spans;
    const n = s.id.length;
    const parent = Int32Array.from(s.parent);
    const start = Float64Array.from(s.start);
    const dur = Float64Array.from(s.duration);
    const childCount = new Int32Array(n);
    for (let i = 0; i < n; i++) if (parent[i] >= 0) childCount[parent[i]]++;
    const childStart = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) childStart[i + 1] = childStart[i] + childCount[i];
    const children = new Int32Array(Math.max(1, childStart[n]));
    const fill = childStart.slice(0, n);
    const roots = [];
    for (let i = 0; i < n; i++) { // spans come sorted by start: children stay in start order
      if (parent[i] >= 0) children[fill[parent[i]]++] = i; else roots.push(i);
    }
    const order = new Int32Array(n), depth = new Int32Array(n), subtreeEnd = new Int32Array(n);
    let k = 0;
    const stack = [];
    for (let r = roots.length - 1; r >= 0; r--) stack.push(roots[r], 0);
    // iterative pre-order; subtreeEnd[i] = order position after i's subtree
    const pos = new Int32Array(n);
    while (stack.length) {
      const d = stack.pop(), i = stack.pop();
      pos[i] = k; order[k++] = i; depth[i] = d;
      for (let c = childStart[i + 1] - 1; c >= childStart[i]; c--) stack.push(children[c], d + 1);
    }
    for (let p = n - 1; p >= 0; p--) {
      const i = order[p];
      let end = p + 1;
      for (let c = childStart[i]; c < childStart[i + 1]; c++) end = Math.max(end, subtreeEnd[children[c]]);
      subtreeEnd[i] = end;
    }
    const critical = criticalPath(n, roots, children, childStart, start, dur);
    let errors = 0;
    for (let i = 0; i < n; i++) if (s.status[i] === 2) errors++;
    return { data, n, parent, start, dur, children, childStart, roots, order, depth, pos, subtreeEnd, critical, errors,
      total: Math.max(1, data.duration) };
  }

  /**
   * The critical path: from each span's end, walk back through the child that finished last
   * before the cursor; time not covered by a child is the span's own. Returns, per span, a list
   * of [from, to] segments (microseconds from the trace start) or undefined.
   */
  function criticalPath(n, roots, children, childStart, start, dur) {
    const segments = new Array(n);
    const add = (i, from, to) => { if (to > from) (segments[i] || (segments[i] = [])).push([from, to]); };
    let root = -1;
    for (const r of roots) if (root < 0 || start[r] + dur[r] > start[root] + dur[root]) root = r;
    if (root < 0) return segments;
    const work = [[root, start[root] + dur[root]]];
    let guard = 0;
    while (work.length && guard++ < 4 * n + 10) {
      const [i, endCursor] = work.pop();
      let cursor = Math.min(endCursor, start[i] + dur[i]);
      const kids = [];
      for (let c = childStart[i]; c < childStart[i + 1]; c++) kids.push(children[c]);
      kids.sort((a, b) => (start[b] + dur[b]) - (start[a] + dur[a]));
      for (const c of kids) {
        const cEnd = Math.min(start[c] + dur[c], cursor);
        if (start[c] >= cursor || cEnd <= start[i]) continue;
        add(i, cEnd, cursor);
        work.push([c, cEnd]);
        cursor = Math.max(start[c], start[i]);
      }
      add(i, start[i], cursor);
    }
    return segments;
  }

  function renderTrace(view, m, token) {
    const d = m.data;
    const rootIndex = m.roots.length ? m.roots[0] : 0;
    const collapsed = new Uint8Array(m.n);
    let visible = new Int32Array(m.order);
    let selected = -1;
    const head = h('div', { class: 'trace-head' },
      h('h1', { id: 'trace-title' }, d.services[d.spans.service[rootIndex]] + ': ' + d.names[d.spans.name[rootIndex]]),
      h('span', { id: 'trace-stats' }, `${m.n} spans · ${d.services.length} services · ${fmtDuration(d.duration)}`
        + (m.errors ? ` · ${m.errors} errors` : '')),
      h('span', { class: 'muted' }, fmtTime(d.start)),
      h('span', { class: 'id mono' }, d.traceId),
      h('a', { href: '/api/traces/' + d.traceId, target: '_blank' }, 'JSON'));
    const showCritical = h('input', { type: 'checkbox', id: 'critical', checked: true });
    const toolbar = h('div', { class: 'toolbar' },
      h('button', { class: 'plain', type: 'button', onclick: () => { collapsed.fill(0); relayout(); } }, 'Expand all'),
      h('button', { class: 'plain', type: 'button', onclick: () => {
        for (let i = 0; i < m.n; i++) collapsed[i] = m.childStart[i + 1] > m.childStart[i] && m.depth[i] >= 1 ? 1 : 0;
        relayout();
      } }, 'Collapse to services'),
      h('label', null, showCritical, ' critical path'),
      h('span', { class: 'muted' }, 'Services: '),
      d.services.map((s) => h('span', { class: 'tag' }, h('span', { class: 'wf-svc', style: `background:${serviceColor(s)}` }), s)));
    const wf = h('div', { class: 'waterfall', id: 'waterfall', tabindex: 0, dataset: { totalSpans: m.n } });
    const inner = h('div', { class: 'wf-inner' });
    wf.append(inner);
    const detail = h('div', { class: 'detail panel', id: 'span-detail' },
      h('p', { class: 'muted' }, 'Select a span to see its attributes, events and links.'));
    view.replaceChildren(head, toolbar, h('div', { class: 'trace-grid' }, wf, detail));

    const pool = [];
    function rowFor(slot) {
      let row = pool[slot];
      if (!row) {
        row = {
          el: h('div', { class: 'wf-row', role: 'row' }),
          toggle: h('span', { class: 'wf-toggle' }), swatch: h('span', { class: 'wf-svc' }),
          label: h('span'), bar: h('div', { class: 'wf-bar' }), durLabel: h('span', { class: 'wf-dur' }),
          crit: [],
        };
        row.name = h('div', { class: 'wf-name' }, row.toggle, row.swatch, row.label);
        row.time = h('div', { class: 'wf-time' }, row.bar, row.durLabel);
        row.el.append(row.name, row.time);
        row.el.addEventListener('click', (event) => {
          const i = Number(row.el.dataset.span);
          if (event.target === row.toggle && m.childStart[i + 1] > m.childStart[i]) {
            collapsed[i] ^= 1; relayout(); return;
          }
          select(i);
        });
        inner.append(row.el);
        pool[slot] = row;
      }
      return row;
    }

    function relayout() {
      const out = new Int32Array(m.n);
      let k = 0;
      for (let p = 0; p < m.n;) {
        const i = m.order[p];
        out[k++] = p;
        p = collapsed[i] ? m.subtreeEnd[i] : p + 1;
      }
      visible = out.subarray(0, k);
      inner.style.height = (k * ROW) + 'px';
      wf.dataset.visibleRows = k;
      paint();
    }

    let painting = false;
    function paint() {
      painting = false;
      const first = Math.max(0, Math.floor(wf.scrollTop / ROW) - 10);
      const count = Math.ceil((wf.clientHeight || 600) / ROW) + 20;
      const last = Math.min(visible.length, first + count);
      const crit = showCritical.checked;
      let slot = 0;
      for (let v = first; v < last; v++, slot++) {
        const i = m.order[visible[v]];
        const row = rowFor(slot);
        row.el.hidden = false;
        row.el.style.top = (v * ROW) + 'px';
        row.el.dataset.span = i;
        row.el.dataset.index = visible[v];
        row.el.classList.toggle('selected', i === selected);
        const hasKids = m.childStart[i + 1] > m.childStart[i];
        row.toggle.textContent = hasKids ? (collapsed[i] ? '▸' : '▾') : '';
        row.name.style.paddingLeft = (4 + Math.min(m.depth[i], 60) * 12) + 'px';
        const service = d.services[d.spans.service[i]];
        row.swatch.style.background = serviceColor(service);
        row.label.textContent = d.names[d.spans.name[i]] + (collapsed[i] ? `  (+${m.subtreeEnd[i] - m.pos[i] - 1})` : '');
        row.label.title = service + ' · ' + KINDS[d.spans.kind[i]];
        const left = m.start[i] / m.total * 100, width = Math.max(0.05, m.dur[i] / m.total * 100);
        row.bar.style.left = left + '%';
        row.bar.style.width = width + '%';
        row.bar.style.background = serviceColor(service);
        row.bar.classList.toggle('err', d.spans.status[i] === 2);
        row.durLabel.textContent = fmtDuration(m.dur[i]);
        row.durLabel.style.left = Math.min(left + width + 0.5, 92) + '%';
        const segs = crit ? m.critical[i] || [] : [];
        while (row.crit.length < segs.length) { const c = h('div', { class: 'wf-crit' }); row.crit.push(c); row.time.append(c); }
        row.crit.forEach((c, j) => {
          if (j < segs.length) {
            c.hidden = false;
            c.style.left = (segs[j][0] / m.total * 100) + '%';
            c.style.width = Math.max(0.05, (segs[j][1] - segs[j][0]) / m.total * 100) + '%';
          } else c.hidden = true;
        });
      }
      for (; slot < pool.length; slot++) pool[slot].el.hidden = true;
      wf.dataset.firstRow = first;
      wf.dataset.lastRow = last - 1;
    }

    wf.addEventListener('scroll', () => { if (!painting) { painting = true; requestAnimationFrame(paint); } });
    showCritical.addEventListener('change', paint);
    window.addEventListener('resize', paint);

    async function select(i) {
      selected = i;
      paint();
      const spanId = d.spans.id[i];
      detail.replaceChildren(h('p', { class: 'muted' }, 'Loading span…'));
      let s;
      try {
        s = await api(`/api/ui/trace/${d.traceId}/span/${spanId}`);
      } catch (e) { detail.replaceChildren(errorBox(e)); return; }
      if (token !== pageToken || selected !== i) return;
      const table = (rows) => h('table', null, rows.map(([k, v]) => h('tr', null, h('td', null, k), h('td', null, v))));
      const attrs = (list) => list.length ? table(list.map((a) => [a.key, a.value])) : h('p', { class: 'muted' }, 'none');
      detail.replaceChildren(
        h('h2', { id: 'detail-name' }, s.name),
        table([['service', s.service], ['kind', s.kind], ['status', s.status + (s.statusMessage ? ': ' + s.statusMessage : '')],
          ['start', '+' + fmtDuration(s.start - d.start)], ['duration', fmtDuration(s.duration)],
          ['span id', h('span', { class: 'mono' }, s.spanId)], ['parent', h('span', { class: 'mono' }, s.parentSpanId || '—')],
          ['scope', s.scope.name + (s.scope.version ? ' ' + s.scope.version : '')]]),
        h('h2', null, 'Attributes'), attrs(s.attributes),
        h('h2', null, 'Events'),
        s.events.length ? s.events.map((e) => h('div', null, h('strong', null, '+' + fmtDuration(e.time - d.start) + ' ' + e.name), attrs(e.attributes)))
          : h('p', { class: 'muted' }, 'none'),
        h('h2', null, 'Links'),
        s.links.length ? s.links.map((l) => h('div', { class: 'link' },
          h('a', { href: '/trace/' + l.traceId, class: 'mono' }, l.traceId), l.stored ? '' : h('span', { class: 'muted' }, ' (not stored)'),
          attrs(l.attributes))) : h('p', { class: 'muted' }, 'none'),
        h('h2', null, 'Resource'), attrs(s.resource));
    }

    relayout();
  }

  // ---------- service map ----------

  async function mapPage(params, token) {
    const minutes = params.get('minutes') || '30';
    main.append(h('h1', null, 'Service map'), h('p', { class: 'muted' }, `Calls between services in the stored traces of the last ${minutes} minutes; node figures are server and consumer spans.`));
    let body;
    try { body = await api('/api/ui/map?minutes=' + encodeURIComponent(minutes)); } catch (e) { main.append(errorBox(e)); return; }
    if (token !== pageToken) return;
    if (!body.nodes.length) { main.append(h('p', { class: 'muted', id: 'map-empty' }, 'No services yet.')); return; }
    // layers: breadth-first depth from the services nobody calls (cycles do not push nodes on)
    const layer = {};
    const incoming = {};
    body.edges.forEach((e) => { if (e.parent !== e.child) incoming[e.child] = true; });
    let frontier = body.nodes.map((n) => n.name).filter((n) => !incoming[n]);
    if (!frontier.length) frontier = [body.nodes[0].name];
    frontier.forEach((n) => { layer[n] = 0; });
    while (frontier.length) {
      const next = [];
      for (const e of body.edges) {
        if (frontier.includes(e.parent) && layer[e.child] === undefined) {
          layer[e.child] = layer[e.parent] + 1;
          next.push(e.child);
        }
      }
      frontier = next;
    }
    body.nodes.forEach((n) => { if (layer[n.name] === undefined) layer[n.name] = 0; });
    const columns = [];
    body.nodes.forEach((n) => { (columns[layer[n.name]] || (columns[layer[n.name]] = [])).push(n); });
    for (let c = columns.length - 1; c >= 0; c--) if (!columns[c]) columns.splice(c, 1);
    const W = 230, H = 74, GX = 90, GY = 26;
    const pos = {};
    columns.forEach((col, c) => col.forEach((n, r) => { pos[n.name] = { x: 20 + c * (W + GX), y: 20 + r * (H + GY) }; }));
    const width = 40 + columns.length * (W + GX), height = 40 + Math.max(...columns.map((c) => c.length)) * (H + GY);
    const svg = svgEl('svg', { viewBox: `0 0 ${width} ${height}`, width, height, id: 'service-map', role: 'img', 'aria-label': 'service map' });
    svg.append(svgEl('defs', {}, svgEl('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 9, markerHeight: 9, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' },
      svgEl('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#8a94a8' }))));
    for (const e of body.edges) {
      const a = pos[e.parent], b = pos[e.child];
      if (!a || !b) continue;
      const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2;
      const mx = (x1 + x2) / 2;
      svg.append(svgEl('path', { d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`, fill: 'none',
        stroke: e.errors ? '#d33a3a' : '#8a94a8', 'stroke-width': 1.5 + Math.min(4, Math.log10(e.calls + 1)), 'marker-end': 'url(#arrow)', class: 'edge' },
        svgEl('title', { text: `${e.parent} → ${e.child}: ${e.calls} calls, ${e.errors} errors` })));
      svg.append(svgEl('text', { x: mx, y: (y1 + y2) / 2 - 4, 'text-anchor': 'middle', text: e.calls + (e.errors ? ` (${e.errors} err)` : '') }));
    }
    for (const n of body.nodes) {
      const p = pos[n.name];
      const g = svgEl('g', { class: 'node', transform: `translate(${p.x},${p.y})`, 'data-service': n.name });
      g.append(svgEl('rect', { width: W, height: H, rx: 8, fill: '#fff', stroke: n.errors ? '#d33a3a' : serviceColor(n.name), 'stroke-width': 2 }));
      g.append(svgEl('text', { x: 12, y: 22, text: n.name, style: 'font-weight:600;fill:#1d2330;font-size:13px' }));
      g.append(svgEl('text', { x: 12, y: 42, text: `${fmtRate(n.rate)} · ${fmtPct(n.errorRatio)} errors` }));
      g.append(svgEl('text', { x: 12, y: 60, text: `p95 ${fmtMs(n.p95)}` }));
      g.addEventListener('click', () => navigate('/monitor?service=' + encodeURIComponent(n.name)));
      g.style.cursor = 'pointer';
      svg.append(g);
    }
    main.append(h('div', { class: 'map' }, svg));
  }

  // ---------- RED ----------

  function lineChart(title, points, series, format) {
    const width = 420, height = 150, pad = 40;
    const svg = svgEl('svg', { viewBox: `0 0 ${width} ${height}`, width: '100%' });
    const values = points.flatMap((p) => series.map((s) => p[s.key])).filter((v) => v !== null && v !== undefined);
    const max = Math.max(1e-9, ...values);
    const x = (i) => pad + (points.length <= 1 ? 0 : i / (points.length - 1) * (width - pad - 8));
    const y = (v) => height - 18 - v / max * (height - 30);
    svg.append(svgEl('text', { x: 2, y: 12, text: format(max) }), svgEl('text', { x: 2, y: height - 18, text: format(0) }));
    svg.append(svgEl('line', { x1: pad, x2: width - 8, y1: height - 18, y2: height - 18, stroke: '#e3e7ee' }));
    if (points.length) {
      svg.append(svgEl('text', { x: pad, y: height - 4, text: new Date(points[0].t).toLocaleTimeString() }));
      svg.append(svgEl('text', { x: width - 8, y: height - 4, 'text-anchor': 'end', text: new Date(points[points.length - 1].t).toLocaleTimeString() }));
    }
    series.forEach((s) => {
      let d = '';
      points.forEach((p, i) => {
        const v = p[s.key];
        if (v === null || v === undefined) return;
        d += (d ? ' L' : 'M') + x(i).toFixed(1) + ',' + y(v).toFixed(1);
      });
      if (d) svg.append(svgEl('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 1.6 }));
      points.forEach((p, i) => {
        const v = p[s.key];
        if (v !== null && v !== undefined && (p.calls === undefined || p.calls > 0)) {
          svg.append(svgEl('circle', { cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 1.8, fill: s.color }));
        }
      });
    });
    return h('div', { class: 'chart panel' }, h('h3', null, title, ' ',
      series.map((s) => h('span', { style: `color:${s.color}` }, ' ● ' + s.label))), svg);
  }

  async function monitorPage(params, token) {
    const minutes = params.get('minutes') || '30';
    main.append(h('h1', null, 'RED metrics'), h('p', { class: 'muted' }, 'Rate, errors and duration of server and consumer spans, by arrival time (the same figures as traces_span_metrics_* on /metrics).'));
    let overview;
    try { overview = await api('/api/ui/services?kinds=server,consumer&minutes=' + encodeURIComponent(minutes)); } catch (e) { main.append(errorBox(e)); return; }
    if (token !== pageToken) return;
    const service = params.get('service') || (overview.services[0] && overview.services[0].name);
    const table = h('table', { class: 'grid', id: 'services-table' },
      h('tr', null, ['service', 'rate', 'errors', 'p50', 'p95', 'p99'].map((c, i) => h('th', { class: i ? 'num' : '' }, c))),
      overview.services.map((s) => h('tr', { class: 'clickable' + (s.name === service ? ' selected' : ''),
        onclick: () => navigate('/monitor?service=' + encodeURIComponent(s.name)) },
        h('td', null, s.name), h('td', { class: 'num' }, fmtRate(s.rate)), h('td', { class: 'num' }, fmtPct(s.errorRatio)),
        h('td', { class: 'num' }, fmtMs(s.p50)), h('td', { class: 'num' }, fmtMs(s.p95)), h('td', { class: 'num' }, fmtMs(s.p99)))));
    main.append(table);
    if (!service) return;
    const operation = params.get('operation') || '';
    const q = new URLSearchParams({ service, minutes, kinds: 'server,consumer' });
    if (operation) q.set('operation', operation);
    let red;
    try { red = await api('/api/ui/red?' + q.toString()); } catch (e) { main.append(errorBox(e)); return; }
    if (token !== pageToken) return;
    main.append(h('h2', null, service + (operation ? ' · ' + operation : '')),
      h('div', { class: 'charts', id: 'red-charts' },
        lineChart('Request rate', red.points, [{ key: 'rate', label: 'per second', color: '#4c78a8' }], (v) => v.toFixed(2)),
        lineChart('Error ratio', red.points, [{ key: 'errorRatio', label: 'errors', color: '#d33a3a' }], (v) => (v * 100).toFixed(1) + '%'),
        lineChart('Duration', red.points, [{ key: 'p50', label: 'p50', color: '#54a24b' }, { key: 'p95', label: 'p95', color: '#f58518' },
          { key: 'p99', label: 'p99', color: '#b279a2' }], (v) => fmtMs(v))),
      h('h2', null, 'Operations'),
      h('table', { class: 'grid', id: 'operations-table' },
        h('tr', null, ['operation', 'kinds', 'rate', 'errors', 'p95'].map((c, i) => h('th', { class: i > 1 ? 'num' : '' }, c))),
        red.operations.map((o) => h('tr', { class: 'clickable' + (o.name === operation ? ' selected' : ''),
          onclick: () => navigate('/monitor?' + new URLSearchParams({ service, operation: o.name === operation ? '' : o.name }).toString()) },
          h('td', null, o.name), h('td', null, o.kinds.join(', ')), h('td', { class: 'num' }, fmtRate(o.rate)),
          h('td', { class: 'num' }, fmtPct(o.errorRatio)), h('td', { class: 'num' }, fmtMs(o.p95))))));
  }

  // ---------- GenAI ----------

  async function genaiPage(params, token) {
    main.append(h('h1', null, 'GenAI'), h('p', { class: 'muted' }, 'Model calls (spans with gen_ai.operation.name) of the last 30 minutes, by provider and model.'));
    let body;
    try { body = await api('/api/ui/genai'); } catch (e) { main.append(errorBox(e)); return; }
    if (token !== pageToken) return;
    if (!body.models.length) { main.append(h('p', { class: 'muted', id: 'genai-empty' }, 'No GenAI spans yet.')); return; }
    main.append(h('table', { class: 'grid', id: 'genai-table' },
      h('tr', null, ['provider', 'model', 'operation', 'requests', 'errors', 'input tokens', 'output tokens', 'p50', 'p95', 'TTFT p50', 'TTFT p95']
        .map((c, i) => h('th', { class: i > 2 ? 'num' : '' }, c))),
      body.models.map((m) => h('tr', null, h('td', null, m.provider), h('td', null, m.model), h('td', null, m.operation),
        h('td', { class: 'num' }, m.calls), h('td', { class: 'num' }, fmtPct(m.errorRatio)),
        h('td', { class: 'num' }, m.inputTokens), h('td', { class: 'num' }, m.outputTokens),
        h('td', { class: 'num' }, fmtMs(m.p50)), h('td', { class: 'num' }, fmtMs(m.p95)),
        h('td', { class: 'num' }, fmtMs(m.ttftP50)), h('td', { class: 'num' }, fmtMs(m.ttftP95))))));
    const charts = h('div', { class: 'charts' });
    body.models.forEach((m, i) => {
      const label = m.provider + ' · ' + m.model;
      charts.append(
        lineChart(label + ': requests and tokens', m.points, [{ key: 'calls', label: 'requests', color: colorOf(i) }, { key: 'tokens', label: 'tokens', color: '#9d755d' }], (v) => v.toFixed(0)),
        lineChart(label + ': latency', m.points, [{ key: 'p95', label: 'p95', color: '#f58518' }, { key: 'ttftP95', label: 'TTFT p95', color: '#2f4b7c' }], (v) => fmtMs(v)));
    });
    main.append(charts);
  }

  // ---------- alerts ----------

  async function alertsPage(params, token) {
    main.append(h('h1', null, 'Alerts'));
    let body;
    try { body = await api('/api/alerts'); } catch (e) { main.append(errorBox(e)); return; }
    if (token !== pageToken) return;
    if (body.rulesError) main.append(h('div', { class: 'panel error-text', role: 'alert' }, 'The rules file was refused (the previous rules stay on): ' + body.rulesError));
    const alertCard = (a) => h('div', { class: `panel alert ${a.severity} ${a.state}`, dataset: { rule: a.name, service: a.service } },
      h('div', null, h('strong', null, a.name), ' · ', a.service, ' · ', h('span', { class: 'tag' }, a.state), h('span', { class: 'tag' }, a.severity)),
      h('div', null, a.summary),
      h('div', { class: 'muted' }, 'since ' + new Date(a.activeSince).toLocaleString() + (a.resolvedAt ? ', resolved ' + new Date(a.resolvedAt).toLocaleString() : '')),
      a.exemplarTraceIds.length ? h('div', null, 'Traces: ', a.exemplarTraceIds.map((id) => [h('a', { href: '/trace/' + id, class: 'mono' }, id.slice(0, 16)), ' '])) : null);
    main.append(h('h2', null, 'Active'),
      h('div', { id: 'active-alerts' }, body.alerts.length ? body.alerts.map(alertCard) : h('p', { class: 'muted' }, 'Nothing is firing.')));
    if (body.resolved.length) main.append(h('h2', null, 'Recently resolved'), h('div', null, body.resolved.slice(0, 20).map(alertCard)));
    main.append(h('h2', null, 'Rules'),
      h('p', { class: 'muted' }, (body.rulesFile ? 'From ' + body.rulesFile : 'The shipped defaults') + `, evaluated every ${body.evaluationInterval / 1000}s.`),
      h('table', { class: 'grid' }, h('tr', null, ['rule', 'kind', 'service', 'threshold', 'window', 'severity'].map((c) => h('th', null, c))),
        body.rules.map((r) => h('tr', null, h('td', null, r.name), h('td', null, r.kind), h('td', null, r.service),
          h('td', null, r.kind === 'latency' ? r.threshold + ' ms' : r.kind === 'error_ratio' ? fmtPct(r.threshold) : '—'),
          h('td', null, (r.window / 1000) + 's'), h('td', null, r.severity)))));
  }

  route();
})();
