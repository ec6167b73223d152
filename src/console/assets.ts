/**
 * The console's stylesheet and script, served as they are (no build step). The page works
 * without the script (forms post, the server answers with the page); with it, the pending list
 * follows the change stream (polling if EventSource fails), decisions go through the JSON API
 * without a reload, the countdowns tick, and the policy editor validates as you type and saves
 * with PUT.
 */

const CSS = `
:root { --fg: #1a1a1a; --muted: #4a4a4a; --bg: #fff; --line: #c8c8c8; --accent: #0b57d0; --ok: #0a6b2d; --bad: #a4161a; --panel: #f4f5f7; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.5rem; padding: .75rem 1rem; border-bottom: 1px solid var(--line); }
header .brand { font-weight: 700; color: var(--fg); text-decoration: none; }
nav { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1rem; flex: 1; }
nav ul { display: flex; gap: 1rem; list-style: none; margin: 0; padding: 0; flex: 1; }
nav a { color: var(--accent); }
nav a[aria-current="page"] { font-weight: 700; color: var(--fg); }
main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.1rem; margin: 0 0 .5rem; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9rem; }
pre { background: var(--panel); padding: .5rem; overflow-x: auto; margin: .25rem 0 0; }
pre + h2, dl + h2 { margin-top: 1.5rem; }
a:focus-visible, button:focus-visible, input:focus-visible, summary:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
button { font: inherit; padding: .4rem .9rem; border-radius: 4px; border: 1px solid var(--muted); background: var(--bg); color: var(--fg); cursor: pointer; min-height: 2.5rem; }
button.approve { background: var(--ok); border-color: var(--ok); color: #fff; }
button.deny { background: var(--bad); border-color: var(--bad); color: #fff; }
input[type=text], input[type=password] { font: inherit; padding: .4rem; border: 1px solid var(--muted); border-radius: 4px; min-height: 2.5rem; width: 100%; max-width: 24rem; }
label { display: block; font-weight: 600; margin: .5rem 0 .2rem; }
.approvals { list-style: none; margin: 0; padding: 0; }
.approval { border: 1px solid var(--line); border-radius: 6px; padding: 1rem; margin-bottom: 1rem; }
.approval .grant { color: var(--muted); font-weight: 400; }
dl { display: grid; grid-template-columns: 8rem 1fr; gap: .25rem 1rem; margin: 0 0 1rem; }
dt { color: var(--muted); }
dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
.decide { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-end; }
.decide form { display: flex; flex-wrap: wrap; gap: .5rem; align-items: flex-end; }
.decide label { margin: 0; width: 100%; }
.notice:not(.ok):not(.error) { display: none; }
.notice { padding: .6rem .8rem; border-radius: 4px; margin-bottom: 1rem; }
.notice.ok { background: #e6f4ea; color: var(--ok); }
.notice.error { background: #fce8e6; color: var(--bad); }
.live { color: var(--muted); font-size: .9rem; }
.empty { color: var(--muted); }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
caption { text-align: left; color: var(--muted); }
.state-denied, .state-expired { color: var(--bad); }
.state-executed, .state-approved { color: var(--ok); }
.login { max-width: 24rem; }
textarea { font: .9rem/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; width: 100%; padding: .5rem; border: 1px solid var(--muted); border-radius: 4px; }
textarea[aria-invalid="true"] { border-color: var(--bad); outline-color: var(--bad); }
textarea:focus-visible, select:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.valid { color: var(--ok); }
.issues li { color: var(--bad); }
.filter { display: flex; flex-wrap: wrap; gap: 0 1rem; align-items: flex-end; }
.filter p { margin: 0 0 .5rem; }
.filter input { font: inherit; padding: .4rem; border: 1px solid var(--muted); border-radius: 4px; min-height: 2.5rem; }
.filter small { display: block; color: var(--muted); }
small.error, .error { color: var(--bad); }
.table-scroll { overflow-x: auto; margin-bottom: 1.5rem; }
.decisions ul { margin: 0; padding-left: 1rem; }
.action-deny th, .action-deny td:nth-child(3) { color: var(--bad); }
.action-require_approval td:nth-child(3) { color: #8a4b00; }
.timeline { list-style: none; padding: 0; border-left: 3px solid var(--line); margin-left: .5rem; }
.timeline .step { position: relative; padding: .25rem 0 .75rem 1rem; }
.timeline .step::before { content: ''; position: absolute; left: -.55rem; top: .6rem; width: .8rem; height: .8rem; border-radius: 50%; background: var(--muted); }
.timeline .step-ok::before { background: var(--ok); }
.timeline .step-denied::before { background: var(--bad); }
.timeline .step-waiting::before { background: #8a4b00; }
.timeline p { margin: 0; }
.timeline .type { color: var(--muted); font-size: .8rem; }
.note { color: var(--muted); font-size: .9rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.login button { margin-top: 1rem; }
@media (max-width: 40rem) { dl { grid-template-columns: 1fr; } dt { margin-top: .4rem; } nav ul { flex-basis: 100%; } }
`;

const JS = `'use strict';
(function () {
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute('content') : '';
  var section = document.querySelector('[data-fragment]');
  var status = document.querySelector('[data-live-status]');
  var notice = document.getElementById('notice');

  function span(ms) {
    var s = Math.max(0, Math.ceil(ms / 1000));
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm ' + (s % 60) + 's';
    return Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm';
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll('time[data-countdown]').forEach(function (t) { t.textContent = span(Date.parse(t.getAttribute('datetime')) - now); });
    document.querySelectorAll('time[data-age]').forEach(function (t) { t.textContent = span(now - Date.parse(t.getAttribute('datetime'))); });
  }
  function say(kind, text) {
    if (!notice) return;
    notice.className = 'notice ' + kind;
    notice.textContent = text;
  }

  var refreshing = false, again = false;
  function refresh() {
    if (!section) return;
    if (refreshing) { again = true; return; }
    refreshing = true;
    fetch(section.getAttribute('data-fragment'), { credentials: 'same-origin' })
      .then(function (r) { if (r.status === 401) { location.href = '/console/login'; } return r.text(); })
      .then(function (markup) {
        // Keep what the user is typing in a reason field, and the focus, across the swap: read
        // them at the swap itself, since typing goes on while the fragment is fetched.
        var typed = {};
        section.querySelectorAll('input[name="reason"]').forEach(function (i) { if (i.value) typed[i.id] = i.value; });
        var focused = document.activeElement && document.activeElement.id;
        section.innerHTML = markup;
        Object.keys(typed).forEach(function (id) { var i = document.getElementById(id); if (i) i.value = typed[id]; });
        if (focused) { var f = document.getElementById(focused); if (f) f.focus(); }
        tick();
      })
      .catch(function () {})
      .then(function () { refreshing = false; if (again) { again = false; refresh(); } });
  }

  var polling;
  function poll() {
    if (polling) return;
    if (status) status.textContent = 'Updates every 5 seconds.';
    polling = setInterval(refresh, 5000);
  }
  if (section) {
    if (window.EventSource) {
      var source = new EventSource('/console/api/stream');
      source.addEventListener('change', refresh);
      source.onopen = function () { if (status) status.textContent = 'Updates live.'; };
      source.onerror = function () { if (source.readyState === EventSource.CLOSED) poll(); };
    } else poll();

    section.addEventListener('submit', function (event) {
      var form = event.target;
      var decision = form.getAttribute('data-decide');
      if (!decision) return;
      event.preventDefault();
      var item = form.closest('[data-id]');
      var id = item.getAttribute('data-id');
      var reason = form.querySelector('input[name="reason"]');
      form.querySelectorAll('button').forEach(function (b) { b.disabled = true; });
      fetch('/console/api/approvals/' + encodeURIComponent(id) + '/' + decision, {
        method: 'POST', credentials: 'same-origin',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        body: JSON.stringify({ reason: reason ? reason.value : '' })
      }).then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
        .then(function (answer) {
          if (answer.ok) say('ok', (decision === 'approve' ? 'Approved ' : 'Denied ') + id + ' (' + answer.body.result + ').');
          else say('error', answer.body.error ? answer.body.error.message : 'refused');
          refresh();
        })
        .catch(function (e) { say('error', 'Could not reach Airlock: ' + e.message); form.querySelectorAll('button').forEach(function (b) { b.disabled = false; }); });
    });
  }

  // The policy editor: validated as you type (the server's check), saved with PUT only when valid.
  var editor = document.getElementById('policy-editor');
  if (editor) {
    var area = document.getElementById('policy-text');
    var issuesBox = document.getElementById('policy-issues');
    var timer, seq = 0;
    function line(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; }
    function show(answer, saving) {
      issuesBox.textContent = '';
      if (answer.ok) {
        area.removeAttribute('aria-invalid');
        if (saving) {
          var p = line('p', 'notice ok', 'Saved: the gateway reloads it in a moment. ');
          var a = line('a', '', 'Reload to see its decisions'); a.href = '/console/policy'; p.appendChild(a);
          issuesBox.appendChild(p);
        } else issuesBox.appendChild(line('p', 'valid', 'Valid: saving would replace the file.'));
        return;
      }
      area.setAttribute('aria-invalid', 'true');
      var issues = answer.issues || [];
      issuesBox.appendChild(line('p', 'notice error', (saving ? 'Not saved: ' : '') + issues.length + (issues.length === 1 ? ' problem:' : ' problems:')));
      var list = line('ul', 'issues');
      issues.forEach(function (i) {
        var li = line('li');
        li.appendChild(line('code', '', i.path === '' ? '(file)' : i.path));
        li.appendChild(document.createTextNode(': ' + i.message));
        list.appendChild(li);
      });
      issuesBox.appendChild(list);
    }
    function send(method, url) {
      return fetch(url, {
        method: method, credentials: 'same-origin',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        body: JSON.stringify({ text: area.value })
      }).then(function (r) { if (r.status === 401) location.href = '/console/login'; return r.json(); });
    }
    area.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var mine = ++seq;
        send('POST', editor.getAttribute('data-validate-url')).then(function (answer) { if (mine === seq) show(answer); }).catch(function () {});
      }, 250);
    });
    editor.addEventListener('submit', function (event) {
      event.preventDefault();
      clearTimeout(timer);
      var mine = ++seq;
      send('PUT', editor.getAttribute('data-save-url'))
        .then(function (answer) { if (mine === seq) show(answer, true); })
        .catch(function (e) { show({ ok: false, issues: [{ path: '', message: 'Could not reach Airlock: ' + e.message }] }, true); });
    });
  }
  tick();
  setInterval(tick, 1000);
})();
`;

export const CONSOLE_ASSETS: Record<string, { type: string; body: string }> = {
  'console.css': { type: 'text/css; charset=utf-8', body: CSS },
  'console.js': { type: 'text/javascript; charset=utf-8', body: JS },
};
