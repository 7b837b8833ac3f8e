// SPDX-License-Identifier: MIT
// report.js - the allocsnoop HTML report: reads the JSON in
// #allocsnoop-data (schema: src/view/report_data.h), draws the flame
// graph, the memory-over-time chart and the top-lines table. Everything
// here is built with DOM calls and textContent, never from markup, so
// that names from traced programs stay text.
'use strict';
(function () {
  const VERSION = 1;
  const MIN_PX = 2; // frames narrower than this are merged into one box
  const ROW_H = 18;
  const TABLE_ROWS = 200; // table rows shown before "show all"
  const SVGNS = 'http://www.w3.org/2000/svg';

  const METRICS = [
    {key: 'size', name: 'live bytes', bytes: true},
    {key: 'alloc_size', name: 'allocated bytes', bytes: true},
    {key: 'count', name: 'live allocations', bytes: false},
    {key: 'alloc_count', name: 'allocations', bytes: false},
    {key: 'temporary', name: 'temporary allocations', bytes: false},
  ];

  // ---- formatting -------------------------------------------------------

  // tracemalloc's _format_size(), as the text report prints sizes.
  function fmtSize(v, sign) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    for (let i = 0; i < units.length; i++) {
      const a = Math.abs(v);
      if (a < 100 && i > 0) return fixed(v, 1, sign) + ' ' + units[i];
      if (a < 10 * 1024 || i === units.length - 1) {
        return fixed(v, 0, sign) + ' ' + units[i];
      }
      v /= 1024;
    }
    return String(v);
  }

  function fixed(v, d, sign) {
    const s = v.toFixed(d);
    return sign && v >= 0 ? '+' + s : s;
  }

  function fmtInt(v, sign) {
    const s = Math.abs(v).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    if (v < 0) return '-' + s;
    return sign ? '+' + s : s;
  }

  function fmtValue(metric, v, sign) {
    return metric.bytes ? fmtSize(v, sign) : fmtInt(v, sign);
  }

  function fmtPct(part, whole) {
    if (!whole) return '0%';
    const p = (100 * part) / whole;
    return (p >= 10 || p === 0 ? p.toFixed(1) : p.toPrecision(2)) + '%';
  }

  function fmtSeconds(s) {
    if (s < 1) return (s * 1000).toFixed(0) + ' ms';
    if (s < 120) return s.toFixed(s < 10 ? 2 : 1) + ' s';
    if (s < 7200) return (s / 60).toFixed(1) + ' min';
    return (s / 3600).toFixed(1) + ' h';
  }

  function base(path) {
    const i = path.lastIndexOf('/');
    return i >= 0 ? path.slice(i + 1) : path;
  }

  // As the text report names a frame: "function (file:line)" with debug
  // info, "function (module)" with a symbol only, module+0xoffset without.
  function frameLabel(f) {
    if (f.label) return f.label;
    if (f.function && f.file) {
      return f.function + ' (' + base(f.file) + ':' + (f.line || 0) + ')';
    }
    if (f.function) {
      return f.module ? f.function + ' (' + base(f.module) + ')' : f.function;
    }
    if (f.file) return base(f.file) + ':' + (f.line || 0);
    if (f.module) return base(f.module) + '+' + (f.offset || '0x0');
    return f.offset || '?';
  }

  // ---- small DOM helpers ------------------------------------------------

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function svg(tag, attrs) {
    const e = document.createElementNS(SVGNS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }

  function byId(id) {
    return document.getElementById(id);
  }

  function camel(key) {
    return key.replace(/_(\w)/g, function (m, c) {
      return c.toUpperCase();
    });
  }

  function hash(s) {
    let h = 2166136261;
    for (let i = 0; i < s.length; i++) {
      h = Math.imul(h ^ s.charCodeAt(i), 16777619);
    }
    return h >>> 0;
  }

  // ---- data -------------------------------------------------------------

  function readData() {
    const d = JSON.parse(byId('allocsnoop-data').textContent);
    if (d.format !== 'allocsnoop-report') {
      throw new Error('the embedded data is not an allocsnoop report');
    }
    if (d.version > VERSION) {
      throw new Error('this page reads report data version ' + VERSION +
                      ', the file has version ' + d.version +
                      ': write it again with this allocsnoop');
    }
    return d;
  }

  // Positions of the fields of a stack tuple, by name ("stack_fields").
  function stackFields(d) {
    const pos = {};
    (d.stack_fields || []).forEach(function (name, i) {
      pos[name] = i;
    });
    for (const need of ['pid', 'prefix', 'suffix', 'size', 'count',
                        'alloc_size', 'alloc_count']) {
      if (pos[need] === undefined) {
        throw new Error('the stacks have no "' + need + '" field');
      }
    }
    return pos;
  }

  // The metrics the data has: temporary only when the stacks carry it.
  function availableMetrics(d, pos) {
    return METRICS.filter(function (m) {
      return pos[m.key] !== undefined || pos['old_' + m.key] !== undefined;
    });
  }

  // ---- the call tree ----------------------------------------------------
  //
  // Nodes live in typed arrays (a 100k-stack profile has a few hundred
  // thousand); node 0 is the root. A child always has a greater index than
  // its parent, so one backward pass sums values up the tree. Per metric:
  // now[] and old[] are the true sums, width[] what the diff draws (the
  // new value, or the old one where nothing is left: frames gone since
  // OLD stay visible as shrinkage).

  function newTree(frames, cap, metrics, diff) {
    const t = {
      n: 1, frames: frames, diff: diff,
      parent: new Int32Array(cap), frame: new Int32Array(cap),
      depth: new Uint16Array(cap), first: new Int32Array(cap).fill(-1),
      next: new Int32Array(cap).fill(-1), sub: new Uint32Array(cap),
      now: {}, old: {}, width: {}, sorted: new Map(),
    };
    t.parent[0] = -1;
    t.frame[0] = -1;
    for (const m of metrics) {
      t.now[m.key] = new Float64Array(cap);
      if (diff) {
        t.old[m.key] = new Float64Array(cap);
        t.width[m.key] = new Float64Array(cap);
      } else {
        t.width[m.key] = t.now[m.key];
      }
    }
    return t;
  }

  function makeChild(t, parent, f) {
    const c = t.n++;
    t.parent[c] = parent;
    t.frame[c] = f;
    t.depth[c] = t.depth[parent] + 1;
    t.next[c] = t.first[parent];
    t.first[parent] = c;
    return c;
  }

  function addValues(t, node, s, cols) {
    for (const c of cols) {
      const v = c.now !== undefined ? s[c.now] || 0 : 0;
      t.now[c.key][node] += v;
      if (t.diff) {
        const o = c.old !== undefined ? s[c.old] || 0 : 0;
        t.old[c.key][node] += o;
        t.width[c.key][node] += v > 0 ? v : Math.max(o, 0);
      }
    }
  }

  // Calls @fn(stack, keys, shared) for every stack: keys are the nodes'
  // frames from the root down (a process's pseudo-frame first when there
  // are several; [no stack] for an empty stack), rebuilt from the frames
  // the stack shares with the one before it ("prefix") and its own
  // ("suffix"); shared is how many leading keys equal the previous
  // stack's. The array is reused: copy it to keep it. Returns whether
  // the stacks came sorted, so that all the stacks under a node are
  // neighbours and one pass builds the tree.
  function walkStacks(d, pos, pidFrame, noStack, fn) {
    const P = pos.pid, PRE = pos.prefix, SUF = pos.suffix;
    const lead = pidFrame.size ? 1 : 0;
    const keys = [];
    let nframes = 0, prevPid = null, sorted = true;
    const order = function (f) {
      return f === noStack ? -1 : f; // an empty stack sorts first
    };
    for (const s of d.stacks) {
      const same = s[P] === prevPid;
      const prefix = same ? Math.min(s[PRE], nframes) : 0;
      const shared = same ? lead + prefix : 0;
      const prevLen = keys.length;
      const before = shared < prevLen ? keys[shared] : undefined;
      keys.length = lead + prefix;
      if (lead) keys[0] = pidFrame.get(s[P]);
      for (const f of s[SUF]) keys.push(f);
      nframes = keys.length - lead;
      if (!nframes) keys.push(noStack);
      if (prevPid !== null && (shared >= keys.length ||
          (before !== undefined && order(keys[shared]) <= order(before)) ||
          (!same && s[P] < prevPid))) {
        sorted = false;
      }
      prevPid = s[P];
      fn(s, keys, shared);
    }
    return sorted;
  }

  // A stack makes the nodes of its keys after the shared ones.
  function insertSorted(t, d, walk, cols) {
    const path = [0];
    walk(function (s, keys, shared) {
      let node = path[shared];
      for (let i = shared; i < keys.length; i++) {
        node = makeChild(t, node, keys[i]);
        path[i + 1] = node;
      }
      addValues(t, node, s, cols);
    });
  }

  // Any order: a map from (parent, frame) to the child.
  function insertHashed(t, walk, cols) {
    const kids = new Map();
    const stride = t.frames.length + 1;
    walk(function (s, keys) {
      let node = 0;
      for (const f of keys) {
        const key = node * stride + f;
        let c = kids.get(key);
        if (c === undefined) {
          c = makeChild(t, node, f);
          kids.set(key, c);
        }
        node = c;
      }
      addValues(t, node, s, cols);
    });
  }

  // Children come after their parents: one backward pass per array.
  function sumUp(t, metrics) {
    const parent = t.parent, sub = t.sub, n = t.n;
    for (let i = n - 1; i > 0; i--) {
      sub[i] += 1;
      sub[parent[i]] += sub[i];
    }
    sub[0] += 1;
    const arrays = [];
    for (const m of metrics) {
      arrays.push(t.now[m.key]);
      if (t.diff) arrays.push(t.old[m.key], t.width[m.key]);
    }
    for (const a of arrays) {
      for (let i = n - 1; i > 0; i--) a[parent[i]] += a[i];
    }
  }

  function buildTree(d, metrics, pos) {
    const frames = d.frames.slice();
    const diff = !!d.old;
    const pids = new Set();
    for (const s of d.stacks) pids.add(s[pos.pid]);
    const procs = new Map();
    for (const snap of [d.old, d.now]) {
      if (snap) for (const p of snap.processes) procs.set(p.pid, p);
    }
    // Several processes: one pseudo-frame each above their stacks, in
    // pid order as the stacks are.
    const pidFrame = new Map();
    if (pids.size > 1) {
      for (const pid of Array.from(pids).sort(function (a, b) {
        return a - b;
      })) {
        const p = procs.get(pid);
        pidFrame.set(pid, frames.length);
        frames.push({label: 'pid ' + pid + ' (' + (p ? p.comm : '?') + ')',
                     pseudo: true, pid: pid});
      }
    }
    const noStack = frames.length;
    frames.push({label: '[no stack]', pseudo: true});
    const cols = metrics.map(function (m) {
      return {key: m.key, now: pos[m.key], old: pos['old_' + m.key]};
    });
    const walk = function (fn) {
      return walkStacks(d, pos, pidFrame, noStack, fn);
    };
    let nodes = 1, cap = 1;
    const sorted = walk(function (s, keys, shared) {
      nodes += keys.length - shared;
      cap += keys.length;
    });
    const t = newTree(frames, sorted ? nodes : cap, metrics, diff);
    if (sorted) insertSorted(t, d, walk, cols);
    else insertHashed(t, walk, cols);
    t.onePass = sorted;
    sumUp(t, metrics);
    t.multi = pidFrame.size > 0;
    return t;
  }

  // Children of @node, widest first for @key (cached per metric).
  function children(t, node, key) {
    const ck = key + ':' + node;
    let list = t.sorted.get(ck);
    if (list) return list;
    list = [];
    for (let c = t.first[node]; c >= 0; c = t.next[c]) list.push(c);
    const w = t.width[key];
    list.sort(function (a, b) {
      return w[b] - w[a] || a - b;
    });
    t.sorted.set(ck, list);
    return list;
  }

  function nodeLabel(t, node) {
    return node === 0 ? 'all' : frameLabel(t.frames[t.frame[node]]);
  }

  function ancestors(t, node) {
    const path = [];
    for (let n = node; n >= 0; n = t.parent[n]) path.unshift(n);
    return path;
  }

  // ---- search -----------------------------------------------------------

  // Which frames match @q (case-insensitive, in label, file or module),
  // which nodes hold a match below them, and the matched share: the value
  // of matching nodes that have no matching ancestor (not counted twice).
  function search(t, q, key) {
    const res = {q: q, frame: null, inside: null, value: 0};
    if (!q) return res;
    const needle = q.toLowerCase();
    const fm = new Uint8Array(t.frames.length);
    t.frames.forEach(function (f, i) {
      const hay = [frameLabel(f), f.file || '', f.module || ''].join('\n');
      fm[i] = hay.toLowerCase().indexOf(needle) >= 0 ? 1 : 0;
    });
    const covered = new Uint8Array(t.n);
    const inside = new Uint8Array(t.n);
    const w = t.now[key];
    for (let i = 1; i < t.n; i++) {
      const p = t.parent[i];
      const hit = fm[t.frame[i]];
      if (hit && !covered[p]) res.value += w[i];
      covered[i] = covered[p] | hit;
    }
    for (let i = t.n - 1; i > 0; i--) {
      if (fm[t.frame[i]] || inside[i]) inside[t.parent[i]] = 1;
    }
    res.frame = fm;
    res.inside = inside;
    return res;
  }

  // ---- colours ----------------------------------------------------------

  function frameColour(t, node, key) {
    if (t.diff) return diffColour(t.now[key][node], t.old[key][node]);
    if (node === 0) return 'hsl(30, 15%, 78%)';
    const f = t.frames[t.frame[node]];
    if (f.pseudo) return 'hsl(210, 30%, 78%)';
    if (!f.function && !f.file) return 'hsl(40, 8%, 76%)';
    const h = hash(f.function || f.file);
    const light = f.module && /\/lib(c|stdc\+\+|gcc_s)[.-]|\/ld-linux/.test(
        f.module) ? 80 : 66;
    return 'hsl(' + (8 + (h % 44)) + ', ' + (70 + (h >>> 8) % 20) + '%, ' +
        (light + ((h >>> 16) % 8)) + '%)';
  }

  // Red for growth, blue for shrinkage, by the change relative to the
  // larger of the two values: a frame gone since OLD is full blue.
  function diffColour(now, old) {
    const top = Math.max(Math.abs(now), Math.abs(old));
    if (!top || now === old) return 'hsl(0, 0%, 86%)';
    const rel = (now - old) / top;
    const light = 92 - 44 * Math.min(1, Math.abs(rel));
    return rel > 0 ? 'hsl(2, 78%, ' + light + '%)'
                   : 'hsl(218, 78%, ' + light + '%)';
  }

  // ---- the flame graph --------------------------------------------------

  function FlameGraph(d, metrics, pos) {
    this.d = d;
    this.metrics = metrics;
    this.metric = metrics[0];
    this.t = buildTree(d, metrics, pos);
    this.zoom = 0;
    this.found = search(this.t, '', this.metric.key);
    this.invert = false;
    this.box = byId('flame');
    this.small = new Map(); // element -> merged nodes, for the tooltip
    const self = this;
    this.box.addEventListener('click', function (e) {
      const f = e.target.closest('.frame');
      if (!f) return;
      // a "small frames" box carries its parent: zooming there shows
      // them wider
      self.setZoom(Number(f.dataset.node));
    });
    this.box.addEventListener('mousemove', function (e) {
      const f = e.target.closest('.frame');
      if (f) showTip(self.tipFor(f), e);
      else hideTip();
    });
    this.box.addEventListener('mouseleave', hideTip);
  }

  FlameGraph.prototype.setZoom = function (node) {
    this.zoom = node;
    this.render();
  };

  FlameGraph.prototype.setMetric = function (m) {
    this.metric = m;
    this.found = search(this.t, this.found.q, m.key);
    const w = this.t.width[m.key];
    if (!w[this.zoom]) this.zoom = 0;
    this.render();
  };

  FlameGraph.prototype.setSearch = function (q) {
    this.found = search(this.t, q, this.metric.key);
    this.render();
  };

  // Lays out the zoomed subtree: frames at least MIN_PX wide are drawn,
  // the narrower children of a frame are one "N small frames" box.
  FlameGraph.prototype.layout = function (width) {
    const t = this.t, key = this.metric.key, w = t.width[key];
    const boxes = [];
    const stats = {drawn: 0, merged: 0, boxes: 0, hidden: 0, depth: 0};
    const path = ancestors(t, this.zoom);
    for (let i = 0; i < path.length - 1; i++) {
      boxes.push({node: path[i], x: 0, w: width, depth: i, ancestor: true});
    }
    const total = w[this.zoom];
    if (!total) return {boxes: boxes, stats: stats, total: 0};
    const scale = width / total;
    const todo = [[this.zoom, 0, path.length - 1]];
    while (todo.length) {
      const item = todo.pop();
      const node = item[0], x = item[1], depth = item[2];
      boxes.push({node: node, x: x, w: w[node] * scale, depth: depth});
      stats.drawn++;
      stats.depth = Math.max(stats.depth, depth);
      let cx = x;
      const small = [];
      let smallSum = 0;
      for (const c of children(t, node, key)) {
        const cw = w[c] * scale;
        if (!w[c]) continue;
        if (cw < MIN_PX) {
          small.push(c);
          smallSum += w[c];
          continue;
        }
        todo.push([c, cx, depth + 1]);
        cx += cw;
      }
      if (small.length) {
        let hidden = 0;
        for (const c of small) hidden += t.sub[c];
        stats.merged += small.length;
        stats.hidden += hidden;
        stats.boxes++;
        boxes.push({node: node, x: cx, w: smallSum * scale, depth: depth + 1,
                    small: small, sum: smallSum, hidden: hidden});
        stats.depth = Math.max(stats.depth, depth + 1);
      }
    }
    return {boxes: boxes, stats: stats, total: total};
  };

  FlameGraph.prototype.render = function () {
    const t = this.t, key = this.metric.key;
    const width = Math.max(200, this.box.clientWidth);
    const lay = this.layout(width);
    const rows = lay.stats.depth + 1;
    const frag = document.createDocumentFragment();
    this.small = new Map();
    for (const b of lay.boxes) frag.appendChild(this.frameEl(b, rows));
    this.box.textContent = '';
    this.box.style.height = rows * ROW_H + 'px';
    this.box.appendChild(frag);
    this.lastLayout = lay;
    this.renderCrumbs();
    this.renderNote(lay, width);
    this.renderMatch();
  };

  FlameGraph.prototype.frameEl = function (b, rows) {
    const t = this.t, key = this.metric.key;
    const e = el('div', 'frame');
    const top = (this.invert ? rows - 1 - b.depth : b.depth) * ROW_H;
    e.style.left = b.x.toFixed(2) + 'px';
    e.style.top = top + 'px';
    e.style.width = Math.max(b.w, 1).toFixed(2) + 'px';
    e.dataset.node = String(b.node);
    e.dataset.depth = String(b.depth);
    if (b.small) {
      e.classList.add('small');
      e.textContent = b.small.length + ' small frame' +
          (b.small.length > 1 ? 's' : '');
      e.dataset.name = e.textContent;
      e.dataset.value = String(b.sum);
      e.dataset.frames = String(b.small.length);
      e.style.backgroundColor = 'hsl(40, 10%, 82%)';
      this.small.set(e, b);
      if (this.found.inside &&
          b.small.some((c) => this.found.frame[t.frame[c]] ||
                       this.found.inside[c])) {
        e.classList.add('match-inside');
      }
      return e;
    }
    const node = b.node;
    const label = nodeLabel(t, node);
    e.textContent = label;
    e.dataset.name = label;
    e.dataset.value = String(t.width[key][node]);
    // data-size, data-alloc-size, ... and data-old-size, ... in a diff
    for (const m of this.metrics) {
      const name = camel(m.key);
      e.dataset[name] = String(t.now[m.key][node]);
      if (t.diff) {
        e.dataset['old' + name[0].toUpperCase() + name.slice(1)] =
            String(t.old[m.key][node]);
      }
    }
    if (b.ancestor) e.classList.add('ancestor');
    if (node === this.zoom) e.classList.add('zoomed');
    e.style.backgroundColor = frameColour(t, node, key);
    if (this.found.frame && node && this.found.frame[t.frame[node]]) {
      e.classList.add('match');
    } else if (this.found.inside && this.found.inside[node] && b.ancestor) {
      e.classList.add('match-inside');
    }
    return e;
  };

  FlameGraph.prototype.renderCrumbs = function () {
    const nav = byId('crumbs');
    nav.textContent = '';
    if (!this.zoom) return;
    const self = this;
    nav.appendChild(document.createTextNode('Zoomed into: '));
    ancestors(this.t, this.zoom).forEach(function (n, i) {
      if (i) nav.appendChild(document.createTextNode(' \u203a '));
      const a = el('a', null, nodeLabel(self.t, n));
      a.addEventListener('click', function () {
        self.setZoom(n);
      });
      nav.appendChild(a);
    });
  };

  FlameGraph.prototype.renderNote = function (lay, width) {
    const s = lay.stats;
    let text = fmtInt(s.drawn) + ' frames drawn.';
    if (s.boxes) {
      text += ' Frames narrower than ' + MIN_PX + ' px (' +
          fmtValue(this.metric, (MIN_PX * lay.total) / width) +
          ' at this zoom) are merged: ' + fmtInt(s.boxes) +
          ' "small frames" boxes hold ' + fmtInt(s.merged) +
          ' frames and ' + fmtInt(s.hidden - s.merged) +
          ' more below them. Zoom in or search to see them.';
    } else {
      text += ' Every frame is drawn (none is narrower than ' + MIN_PX +
          ' px).';
    }
    byId('flame-note').textContent = text;
  };

  FlameGraph.prototype.renderMatch = function () {
    const span = byId('match');
    if (!this.found.q) {
      span.textContent = '';
      delete span.dataset.value;
      return;
    }
    const total = this.t.now[this.metric.key][0];
    const v = this.found.value;
    span.dataset.value = String(v);
    span.textContent = 'matched ' + fmtValue(this.metric, v) + ' (' +
        fmtPct(v, total) + ' of ' + this.metric.name + ')';
  };

  FlameGraph.prototype.tipFor = function (e) {
    const t = this.t, m = this.metric;
    const b = this.small.get(e);
    const rows = [];
    const root = t.now[m.key][0];
    if (b) {
      const top = b.small.slice(0, 5).map(function (c) {
        return nodeLabel(t, c) + ': ' + fmtValue(m, t.width[m.key][c]);
      });
      rows.push([m.name, fmtValue(m, b.sum) + ' (' + fmtPct(b.sum, root) +
                 ' of all)']);
      rows.push(['frames', fmtInt(b.small.length) + ' side by side, ' +
                 fmtInt(b.hidden) + ' with those below']);
      rows.push(['widest', top.join('\n')]);
      return {name: e.textContent + ' under ' + nodeLabel(t, b.node),
              rows: rows};
    }
    const node = Number(e.dataset.node);
    const f = node ? t.frames[t.frame[node]] : {};
    const v = t.now[m.key][node];
    const zoomed = t.now[m.key][this.zoom];
    rows.push([m.name, fmtValue(m, v) + ' (' + fmtPct(v, root) + ' of all' +
               (this.zoom ? ', ' + fmtPct(v, zoomed) + ' of zoom' : '') +
               ')']);
    if (t.diff) {
      const o = t.old[m.key][node];
      rows.push(['in OLD', fmtValue(m, o)]);
      rows.push(['change', fmtValue(m, v - o, true)]);
    }
    for (const other of this.metrics) {
      if (other === m) continue;
      let s = fmtValue(other, t.now[other.key][node]);
      if (t.diff) {
        s += ' (' + fmtValue(other, t.now[other.key][node] -
                              t.old[other.key][node], true) + ')';
      }
      rows.push([other.name, s]);
    }
    if (f.function) rows.push(['function', f.function]);
    if (f.file) rows.push(['file:line', f.file + ':' + (f.line || 0)]);
    if (f.module) rows.push(['module', f.module]);
    if (f.offset) rows.push(['offset', f.offset]);
    return {name: nodeLabel(t, node), rows: rows};
  };

  // ---- tooltip ----------------------------------------------------------

  function showTip(content, ev) {
    const tip = byId('tip');
    tip.textContent = '';
    tip.appendChild(el('div', 'name', content.name));
    const table = el('table');
    for (const r of content.rows) {
      const tr = el('tr');
      tr.appendChild(el('td', null, r[0]));
      const td = el('td', null);
      r[1].split('\n').forEach(function (line, i) {
        if (i) td.appendChild(el('br'));
        td.appendChild(document.createTextNode(line));
      });
      tr.appendChild(td);
      table.appendChild(tr);
    }
    tip.appendChild(table);
    tip.hidden = false;
    const pad = 14;
    let x = ev.clientX + pad, y = ev.clientY + pad;
    const r = tip.getBoundingClientRect();
    if (x + r.width > window.innerWidth) x = ev.clientX - r.width - pad;
    if (y + r.height > window.innerHeight) y = ev.clientY - r.height - pad;
    tip.style.left = Math.max(0, x) + 'px';
    tip.style.top = Math.max(0, y) + 'px';
  }

  function hideTip() {
    byId('tip').hidden = true;
  }

  // ---- header, processes ------------------------------------------------

  // The facts of one snapshot; @label names it in a diff ("OLD", "NEW"),
  // @general adds what both share (command, host, tool, sampling).
  function snapshotFacts(dl, s, label, general) {
    function fact(k, v) {
      if (v === null || v === undefined || v === '') return;
      dl.appendChild(el('dt', null, k));
      dl.appendChild(el('dd', null, v));
    }
    const prefix = label ? label + ' ' : '';
    fact(prefix + 'snapshot', s.name);
    fact(prefix + 'taken', s.time);
    fact(prefix + 'traced since', s.start + ' (' +
         fmtSeconds(Math.max(0, s.time_unix - s.start_unix)) + ')');
    if (!general) return;
    fact('command', s.command);
    fact('host', s.hostname);
    fact('written by', s.tool_version ? 'allocsnoop ' + s.tool_version
                                      : (s.foreign ? 'another tool' : ''));
    fact('sampling', s.sample_bytes ? 'one sample per ' +
         fmtSize(s.sample_bytes) + ' allocated (weighted)'
                                    : 'exact (every allocation)');
  }

  function renderHeader(d) {
    const s = d.now;
    const what = s.command || (s.processes.length === 1
        ? 'pid ' + s.processes[0].pid + ' (' + s.processes[0].comm + ')'
        : s.processes.length + ' processes');
    const title = (d.old ? 'allocsnoop diff: ' : 'allocsnoop report: ') + what;
    document.title = title;
    byId('title').textContent = title;
    const dl = byId('facts');
    if (d.old) snapshotFacts(dl, d.old, 'OLD', false);
    snapshotFacts(dl, s, d.old ? 'NEW' : '', true);
  }

  function renderProcesses(d) {
    const table = byId('processes');
    const cols = ['pid', 'command', 'current', 'peak', 'allocations', 'frees',
                  'failed', 'unmatched frees', 'state'];
    const head = el('tr');
    for (const c of cols) head.appendChild(el('th', null, c));
    table.appendChild(head);
    for (const p of d.now.processes) {
      const tr = el('tr');
      tr.dataset.pid = String(p.pid);
      const state = [p.exited ? 'exited' : 'running'];
      if (p.inexact) state.push('inexact');
      const cells = [String(p.pid), p.comm, fmtSize(p.current_bytes),
                     fmtSize(p.peak_bytes), fmtInt(p.alloc_count),
                     fmtInt(p.free_count), fmtInt(p.failed_count),
                     fmtInt(p.unmatched_free_count), state.join(', ')];
      cells.forEach(function (c, i) {
        tr.appendChild(el('td', i === 1 || i === 8 ? 'text' : null, c));
      });
      table.appendChild(tr);
    }
    const lost = Object.keys(d.now.lost).filter(function (k) {
      return d.now.lost[k];
    });
    byId('lost').textContent = lost.length
        ? 'Lost (counted, not kept exactly): ' + lost.map(function (k) {
          return k + '=' + fmtInt(d.now.lost[k]);
        }).join(' ')
        : 'lost=0: the tracer kept every allocation exactly.';
  }

  // ---- memory over time -------------------------------------------------

  function niceStep(range, ticks) {
    const raw = range / Math.max(1, ticks);
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 2.5, 5, 10]) {
      if (raw <= m * mag) return m * mag;
    }
    return 10 * mag;
  }

  function byteStep(max, ticks) {
    let unit = 1;
    while (max / unit >= 10240 && unit < Math.pow(1024, 4)) unit *= 1024;
    return niceStep(max / unit, ticks) * unit;
  }

  function renderTimeline(d) {
    const box = byId('timeline');
    const series = d.now.processes.filter(function (p) {
      return Array.isArray(p.timeline) && p.timeline.length;
    });
    if (!series.length) {
      const p = el('p', 'note', 'No timeline in this snapshot: it holds ' +
                   'no memory-over-time samples.');
      p.id = 'no-timeline';
      box.appendChild(p);
      return;
    }
    const g = chartGeometry(series);
    const root = svg('svg', {viewBox: '0 0 ' + g.W + ' ' + g.H,
                             role: 'img', 'aria-label': 'memory over time'});
    root.appendChild(chartAxes(g));
    series.forEach(function (p, i) {
      const pts = p.timeline.map(function (pt) {
        return g.sx(pt[0]).toFixed(1) + ',' + g.sy(pt[1]).toFixed(1);
      });
      const line = svg('polyline', {points: pts.join(' '), class: 'series',
                                    stroke: seriesColour(i)});
      line.dataset.pid = String(p.pid);
      root.appendChild(line);
      root.appendChild(peakMarker(p, g.sx, g.sy));
    });
    box.appendChild(root);
    chartReadout(box, root, series, g);
    legend(box, series);
  }

  function seriesColour(i) {
    return 'hsl(' + ((210 + i * 67) % 360) + ', 65%, 42%)';
  }

  // Scales from seconds and bytes to the chart's coordinates.
  function chartGeometry(series) {
    const g = {W: 1000, H: 260, L: 70, R: 20, T: 16, B: 30, tmax: 0,
               ymax: 0};
    for (const p of series) {
      for (const pt of p.timeline) {
        g.tmax = Math.max(g.tmax, pt[0]);
        g.ymax = Math.max(g.ymax, pt[1]);
      }
      g.ymax = Math.max(g.ymax, p.peak_bytes || 0);
    }
    g.tmax = g.tmax || 1;
    g.ymax = g.ymax || 1;
    g.sx = function (t) {
      return g.L + ((g.W - g.L - g.R) * t) / g.tmax;
    };
    g.sy = function (v) {
      return g.H - g.B - ((g.H - g.T - g.B) * v) / g.ymax;
    };
    return g;
  }

  function chartAxes(g) {
    const axis = svg('g', {class: 'axis'});
    const ys = byteStep(g.ymax, 5);
    for (let v = 0; v <= g.ymax * 1.0001; v += ys) {
      axis.appendChild(svg('line', {x1: g.L, x2: g.W - g.R, y1: g.sy(v),
                                    y2: g.sy(v), class: 'grid-line'}));
      const tx = svg('text', {x: g.L - 6, y: g.sy(v) + 4,
                              'text-anchor': 'end'});
      tx.textContent = fmtSize(v);
      axis.appendChild(tx);
    }
    const xs = niceStep(g.tmax, 8);
    for (let v = 0; v <= g.tmax * 1.0001; v += xs) {
      const tx = svg('text', {x: g.sx(v), y: g.H - g.B + 16,
                              'text-anchor': 'middle'});
      tx.textContent = fmtSeconds(v);
      axis.appendChild(tx);
    }
    return axis;
  }

  // A cursor following the mouse, and each process's sample nearest it.
  function chartReadout(box, root, series, g) {
    const cursor = svg('line', {class: 'cursor', y1: g.T, y2: g.H - g.B,
                                visibility: 'hidden'});
    root.appendChild(cursor);
    const readout = el('div', 'readout');
    box.appendChild(readout);
    root.addEventListener('mousemove', function (e) {
      const r = root.getBoundingClientRect();
      const t = ((((e.clientX - r.left) * g.W) / r.width - g.L) * g.tmax) /
          (g.W - g.L - g.R);
      const parts = [];
      for (const p of series) {
        const pt = nearest(p.timeline, t);
        parts.push('pid ' + p.pid + ' at ' + fmtSeconds(pt[0]) + ': ' +
                   fmtSize(pt[1]) + ', ' + fmtInt(Math.round(pt[2] || 0)) +
                   ' allocs/s, ' + fmtInt(Math.round(pt[3] || 0)) +
                   ' frees/s');
      }
      const x = g.sx(Math.max(0, Math.min(g.tmax, t)));
      cursor.setAttribute('x1', x);
      cursor.setAttribute('x2', x);
      cursor.setAttribute('visibility', 'visible');
      readout.textContent = parts.join('; ');
    });
  }

  function nearest(points, t) {
    let lo = 0, hi = points.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (points[mid][0] < t) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0 && t - points[lo - 1][0] < points[lo][0] - t) lo--;
    return points[lo];
  }

  // The peak: at peak_time with the kernel's high-water mark, else the
  // highest sample of the timeline.
  function peakMarker(p, sx, sy) {
    let t = p.peak_time, v = p.peak_bytes;
    if (typeof t !== 'number') {
      let best = p.timeline[0];
      for (const pt of p.timeline) if (pt[1] > best[1]) best = pt;
      t = best[0];
      v = best[1];
    }
    const g = svg('g', {class: 'peak'});
    g.dataset.pid = String(p.pid);
    g.dataset.time = String(t);
    g.dataset.bytes = String(v);
    g.appendChild(svg('circle', {cx: sx(t), cy: sy(v), r: 4}));
    const label = svg('text', {x: sx(t) + 7, y: sy(v) - 6});
    label.textContent = 'peak ' + fmtSize(v) + ' at ' + fmtSeconds(t);
    g.appendChild(label);
    return g;
  }

  function legend(box, series) {
    if (series.length < 2) return;
    const p = el('p', 'note');
    series.forEach(function (s, i) {
      const key = el('span', 'legend-key');
      key.style.background = seriesColour(i);
      p.appendChild(key);
      p.appendChild(document.createTextNode('pid ' + s.pid + ' (' + s.comm +
                                            ')'));
    });
    box.appendChild(p);
  }

  // ---- the top-lines table ----------------------------------------------

  function rowLabel(d, r) {
    let s = '';
    if (r.pid && d.group_by !== 'process') s = '[' + r.pid + ' ' + r.comm + '] ';
    switch (d.group_by) {
      case 'lineno':
      case 'traceback':
        if (r.file) {
          return s + base(r.file) + ':' + (r.line || 0) +
              (r.function ? ' (' + r.function + ')' : '');
        }
        break;
      case 'filename':
        if (r.file) return s + r.file;
        break;
      case 'process':
        if (r.pid) return 'pid ' + r.pid + ' (' + r.comm + ')';
        break;
    }
    return s + r.name;
  }

  const COLUMNS = [
    {key: 'label', name: 'line', text: true},
    {key: 'size', name: 'size', bytes: true},
    {key: 'size_diff', name: 'size diff', bytes: true, sign: true},
    {key: 'count', name: 'count'},
    {key: 'count_diff', name: 'count diff', sign: true},
    {key: 'average', name: 'average', bytes: true},
    {key: 'alloc_size', name: 'allocated', bytes: true},
    {key: 'alloc_count', name: 'allocations'},
  ];

  function Table(d) {
    this.d = d;
    this.rows = d.rows.map(function (r, i) {
      return Object.assign({label: rowLabel(d, r), order: i,
                            average: r.count ? r.size / r.count : null}, r);
    });
    this.sortKey = null;
    this.dir = 'desc';
    this.all = false;
    const unit = {lineno: 'lines', filename: 'files', function: 'functions',
                  traceback: 'tracebacks', module: 'modules',
                  process: 'processes'}[d.group_by] || 'rows';
    byId('table-title').textContent = 'Top ' + unit + (d.old
        ? ', change since OLD' : ', since tracing started') + ' (' +
        fmtInt(this.rows.length) + ')';
    COLUMNS[0].name = unit.replace(/s$/, '').replace(/^traceback$/, 'site');
    const self = this;
    byId('more').addEventListener('click', function () {
      self.all = true;
      self.render();
    });
  }

  Table.prototype.sortBy = function (key) {
    if (this.sortKey === key) {
      this.dir = this.dir === 'desc' ? 'asc' : 'desc';
    } else {
      this.sortKey = key;
      this.dir = key === 'label' ? 'asc' : 'desc';
    }
    const k = key, sgn = this.dir === 'desc' ? -1 : 1;
    this.rows.sort(function (a, b) {
      const x = a[k], y = b[k];
      if (x === y) return a.order - b.order;
      if (x === null) return 1;
      if (y === null) return -1;
      if (typeof x === 'string') return sgn * x.localeCompare(y);
      return sgn * (x - y);
    });
    this.render();
  };

  Table.prototype.render = function () {
    const table = byId('rows');
    table.textContent = '';
    const head = el('tr');
    const self = this;
    for (const c of COLUMNS) {
      const th = el('th', null, c.name);
      th.dataset.key = c.key;
      if (this.sortKey === c.key) th.dataset.dir = this.dir;
      th.title = 'sort by ' + c.name;
      th.addEventListener('click', function () {
        self.sortBy(c.key);
      });
      head.appendChild(th);
    }
    table.appendChild(head);
    const n = this.all ? this.rows.length
                       : Math.min(TABLE_ROWS, this.rows.length);
    const frag = document.createDocumentFragment();
    for (let i = 0; i < n; i++) frag.appendChild(this.rowEl(this.rows[i]));
    table.appendChild(frag);
    const more = byId('more');
    more.hidden = n >= this.rows.length;
    more.textContent = 'Show all ' + fmtInt(this.rows.length) + ' rows';
  };

  Table.prototype.rowEl = function (r) {
    const tr = el('tr');
    for (const c of COLUMNS) {
      const v = r[c.key];
      let text;
      if (c.text) text = v;
      else if (v === null) text = '';
      else text = c.bytes ? fmtSize(v, c.sign) : fmtInt(v, c.sign);
      const td = el('td', c.text ? 'label' : null, text);
      if (!c.text && v !== null) td.dataset.value = String(v);
      if (c.sign && v) td.classList.add(v > 0 ? 'grow' : 'shrink');
      if (c.text && r.file) td.title = r.file + ':' + (r.line || 0);
      tr.appendChild(td);
    }
    return tr;
  };

  // ---- the page ---------------------------------------------------------

  function controls(fg) {
    const sel = byId('metric');
    fg.metrics.forEach(function (m, i) {
      const o = el('option', null, m.name);
      o.value = String(i);
      sel.appendChild(o);
    });
    sel.addEventListener('change', function () {
      fg.setMetric(fg.metrics[Number(sel.value)]);
      legendText(fg);
    });
    const input = byId('search');
    let timer = 0;
    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        fg.setSearch(input.value.trim());
      }, 120);
    });
    input.addEventListener('keydown', function (e) {
      if (e.key === 'Enter') {
        clearTimeout(timer);
        fg.setSearch(input.value.trim());
      }
    });
    byId('reset').addEventListener('click', function () {
      fg.setZoom(0);
    });
    byId('invert').addEventListener('change', function (e) {
      fg.invert = e.target.checked;
      fg.render();
    });
    document.addEventListener('keydown', function (e) {
      if (e.key === 'Escape' && e.target !== input) fg.setZoom(0);
    });
    let resize = 0;
    window.addEventListener('resize', function () {
      clearTimeout(resize);
      resize = setTimeout(function () {
        fg.render();
      }, 150);
    });
  }

  function legendText(fg) {
    const p = byId('legend');
    p.textContent = '';
    const m = fg.metric;
    if (!fg.t.diff) {
      p.textContent = 'Width: ' + m.name + ' of each call path (root at ' +
          'the top, callers above callees; widest first). Click a frame ' +
          'to zoom, Escape or "Reset zoom" to go back.';
      return;
    }
    p.appendChild(document.createTextNode(
        'Width: ' + m.name + ' in NEW (stacks gone since OLD keep their ' +
        'OLD width). Colour: change since OLD,'));
    for (const k of [['grow', 'hsl(2, 78%, 55%)', 'grew'],
                     ['shrink', 'hsl(218, 78%, 55%)', 'shrank or gone'],
                     ['same', 'hsl(0, 0%, 86%)', 'unchanged']]) {
      const key = el('span', 'legend-key');
      key.style.background = k[1];
      p.appendChild(key);
      p.appendChild(document.createTextNode(k[2]));
    }
    p.appendChild(document.createTextNode(
        '; the stronger, the larger the change relative to the frame.'));
  }

  function fail(err) {
    const p = byId('error');
    p.textContent = 'This report cannot be shown: ' + err.message;
    p.hidden = false;
    document.body.dataset.ready = 'error';
    throw err;
  }

  function main() {
    const t0 = performance.now();
    let d;
    try {
      d = readData();
    } catch (err) {
      fail(err);
    }
    const t1 = performance.now();
    renderHeader(d);
    renderProcesses(d);
    const pos = stackFields(d);
    const metrics = availableMetrics(d, pos);
    const fg = new FlameGraph(d, metrics, pos);
    const t2 = performance.now();
    byId('flame-title').textContent = d.old
        ? 'Flame graph of the change from OLD to NEW' : 'Flame graph';
    controls(fg);
    legendText(fg);
    fg.render();
    const t3 = performance.now();
    renderTimeline(d);
    const table = new Table(d);
    table.render();
    const t4 = performance.now();
    // For tests and the curious: where the time to first render went.
    window.allocsnoopReport = {
      flame: fg, table: table, onePass: fg.t.onePass,
      timings: {parse: t1 - t0, tree: t2 - t1, flame: t3 - t2,
                rest: t4 - t3, ready: t4},
    };
    document.body.dataset.ready = '1';
  }

  main();
})();
