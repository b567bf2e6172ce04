// The header's Notifications link, live: its unread count follows notification:new and
// notification:read on a socket signed in by the page's session cookie (signed-in viewers only).
(function () {
  'use strict';
  var bell = document.querySelector('a[data-bell]');
  var status = document.querySelector('[data-bell-status]');
  if (!bell || typeof window.io !== 'function') return;

  var badge = bell.querySelector('[data-unread]');
  var count = badge ? parseInt(badge.getAttribute('data-unread'), 10) || 0 : 0;
  // Notifications this page has counted (a collapsed one arrives again under the same id).
  var counted = {};

  function show(n) {
    count = Math.max(0, n);
    var before;
    if (!count) {
      if (badge) {
        // The link reads "Notifications" again, as the layout renders it with nothing unread.
        before = badge.previousSibling;
        if (before && before.nodeType === 3) before.nodeValue = before.nodeValue.replace(/\s+$/, '');
        badge.remove();
      }
      badge = null;
      return;
    }
    if (!badge) {
      // The same markup as the layout's: "Notifications <span class=...>".
      badge = document.createElement('span');
      badge.className = 'badge badge-role';
      before = bell.lastChild;
      if (before && before.nodeType === 3) before.nodeValue = before.nodeValue.replace(/\s+$/, '') + ' ';
      else bell.appendChild(document.createTextNode(' '));
      bell.appendChild(badge);
    }
    badge.setAttribute('data-unread', String(count));
    badge.textContent = String(count);
    var hidden = document.createElement('span');
    hidden.className = 'visually-hidden';
    hidden.textContent = ' unread';
    badge.appendChild(hidden);
  }

  // One socket per page, shared by its scripts (the bell and the page's live parts): a user may hold 10.
  var socket = window.hearthSocket || (window.hearthSocket = window.io({ transports: ['websocket', 'polling'] }));
  function live() {
    document.body.setAttribute('data-bell-live', 'on'); // tests and styles can tell
  }
  socket.on('connect', live);
  if (socket.connected) live(); // the page's own script opened the socket first
  socket.on('notification:new', function (n) {
    if (!n || typeof n.id !== 'string') return;
    // A fresh unread notification adds one; one that collapsed into an unread one (count > 1) was counted already.
    if (!n.readAt && !counted[n.id] && !(n.count > 1)) show(count + 1);
    counted[n.id] = true;
    if (status) status.textContent = 'New notification: ' + String(n.title || '');
  });
  socket.on('notification:read', function (event) {
    // Read here or in another tab: the server says how many are left.
    if (event && typeof event.unreadCount === 'number') show(event.unreadCount);
  });
})();
