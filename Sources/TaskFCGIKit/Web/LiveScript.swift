/// The pages' one script (served as `/assets/live.<hash>.js`; the CSP allows only same-origin
/// script files, nothing inline). Progressive enhancement: every page is complete without it.
///
/// On a live page (`main[data-token]`: the list and a task's page) it asks `/tasks/changes` with
/// the token the page was rendered at; `304` means nothing changed. Only when the token moved
/// does it fetch the page again and patch, in place, the rows and the parts marked `data-live`
/// whose markup differs, leaving the element with focus alone, so nothing the reader looks at
/// moves. It polls every 5 s, just after the next due time shown, and every second while a task
/// shown is overdue; not at all while the tab is hidden. Relative times ("due in 3 min") are
/// refreshed every second with the rules of `RelativeTime.swift`.
enum LiveScript {
    static let source: StaticString = #"""
        'use strict';
        (function () {
          var main = document.querySelector('main[data-token]');
          var token = main ? main.getAttribute('data-token') : null;
          var skew = main ? Number(main.getAttribute('data-now')) - Date.now() : 0;
          var timer = 0;

          function now() { return Date.now() + skew; }
          function all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

          // Keep in step with RelativeTime.span.
          function span(ms) {
            var s = Math.floor(Math.abs(ms) / 1000);
            if (s < 60) return s + ' s';
            if (s < 3600) return Math.floor(s / 60) + ' min';
            if (s < 172800) return Math.floor(s / 3600) + ' h';
            return Math.floor(s / 86400) + ' days';
          }
          function isDue(small) { return small.textContent.lastIndexOf('due', 0) === 0; }
          function phrase(due, at) {
            var d = at - now(), near = Math.abs(d) < 1000;
            if (!due) return near ? 'completed just now' : 'completed ' + span(d) + ' ago';
            if (near) return 'due now';
            return d > 0 ? 'due in ' + span(d) : 'due ' + span(d) + ' ago';
          }
          function instant(small) {
            var time = small.previousElementSibling;
            return time && time.dateTime ? Date.parse(time.dateTime) : NaN;
          }
          // The due time of the pending task a badge belongs to (its row, or the task page's facts).
          function dueOf(badge) {
            var scope = badge.closest('tr, dl');
            var small = scope ? all('time + small', scope).filter(isDue)[0] : null;
            return small ? instant(small) : NaN;
          }

          function tick() {
            all('time + small').forEach(function (small) {
              var at = instant(small);
              if (isNaN(at)) return;
              var text = phrase(isDue(small), at);
              if (small.textContent !== text) small.textContent = text;
            });
            // Past its due time a pending task is waiting for the job, as the server would say.
            all('span.pending').forEach(function (badge) {
              if (dueOf(badge) <= now()) {
                badge.className = 'overdue';
                badge.textContent = 'overdue, waiting for the job';
              }
            });
          }

          function announce(text) {
            var live = document.getElementById('live');
            if (live) live.textContent = text;
          }

          function keyOf(row) {
            var link = row.querySelector('a[href]');
            return link ? link.getAttribute('href') : null;
          }
          function rows(doc) {
            var found = {};
            all('table.tasks tbody tr', doc).forEach(function (row) { var key = keyOf(row); if (key) found[key] = row; });
            return found;
          }
          function holdsFocus(element) { return element.contains(document.activeElement) && document.activeElement !== document.body; }
          function replace(element, fresh) {
            if (fresh && element.innerHTML !== fresh.innerHTML && !holdsFocus(element)) element.innerHTML = fresh.innerHTML;
          }

          // Brings this page up to the freshly fetched one without re-rendering it.
          function patch(fresh) {
            var completed = [];
            ['counts', 'facts', 'state'].forEach(function (id) {
              var element = document.getElementById(id);
              if (element) replace(element, fresh.getElementById(id));
            });
            var mine = rows(document), theirs = rows(fresh), changedSet = false;
            Object.keys(mine).forEach(function (key) {
              var row = mine[key], next = theirs[key];
              if (!next) { changedSet = true; return; }
              var wasDone = !!row.querySelector('span.completed');
              for (var i = 0; i < row.cells.length && i < next.cells.length; i++) replace(row.cells[i], next.cells[i]);
              if (!wasDone && row.querySelector('span.completed')) completed.push(row.cells[0].textContent);
            });
            Object.keys(theirs).forEach(function (key) { if (!mine[key]) changedSet = true; });
            if (completed.length === 1) announce('“' + completed[0] + '” was completed.');
            else if (completed.length > 1) announce(completed.length + ' tasks were completed.');
            if (changedSet) {
              var live = document.getElementById('live');
              if (live && !live.querySelector('a')) {
                live.textContent = 'Tasks were added or removed since this page was loaded. ';
                var link = document.createElement('a');
                link.href = location.href;
                link.textContent = 'Show the current list';
                live.appendChild(link);
              }
            }
          }

          function refresh() {
            return fetch(location.href, { cache: 'no-store', credentials: 'same-origin' }).then(function (answer) {
              if (answer.status === 404) { // the task was deleted, or the list has fewer pages now
                announce(document.getElementById('facts') ? 'This task was deleted.' : 'This page of the list no longer exists.');
                token = null;
                return;
              }
              if (!answer.ok) throw new Error('status ' + answer.status);
              return answer.text().then(function (text) {
                var fresh = new DOMParser().parseFromString(text, 'text/html');
                var next = fresh.querySelector('main[data-token]');
                if (!next) return;
                patch(fresh);
                token = next.getAttribute('data-token');
                skew = Number(next.getAttribute('data-now')) - Date.now();
                tick();
              });
            });
          }

          function poll() {
            timer = 0;
            if (!token || document.hidden) return;
            fetch('/tasks/changes', { cache: 'no-store', credentials: 'same-origin', headers: { 'If-None-Match': '"' + token + '"' } })
              .then(function (answer) {
                if (answer.status === 304) return;
                if (!answer.ok) throw new Error('status ' + answer.status);
                return refresh();
              })
              .catch(function () { /* the worker restarting, or offline: the next poll tries again */ })
              .then(schedule);
          }

          // 5 s; just after the next due time on the page; every second while a task shown is overdue.
          function schedule() {
            if (!token || timer) return;
            var wait = 5000, t = now();
            all('span.pending, span.overdue').forEach(function (badge) {
              var until = dueOf(badge) - t;
              if (until > 0) wait = Math.min(wait, until + 300);
              else if (until > -120000) wait = Math.min(wait, 1000);
            });
            timer = setTimeout(poll, Math.max(wait, 250));
          }

          document.addEventListener('visibilitychange', function () {
            if (!document.hidden && token) { clearTimeout(timer); timer = 0; poll(); }
          });
          // The status region exists before anything changes, so screen readers announce the changes.
          if (main) {
            var region = document.createElement('p');
            region.id = 'live';
            region.setAttribute('role', 'status');
            main.insertBefore(region, main.querySelector('h1').nextSibling);
          }
          tick();
          if (token || document.querySelector('time + small')) setInterval(tick, 1000);
          schedule();
        })();
        """#
}
