// The staff support queue, live: new requests appear without reloading (socket event support:requested,
// sent to the community's staff sockets), and chats claimed or closed elsewhere leave the waiting list.
// The page works without this script (reload to see new requests).
// Requests made between the page's rendering and the socket's connection reach no socket: on every
// 'connect' (the server has put the socket in the staff room by then) the script reads the queue page
// again and merges its waiting rows by room id, so none is missed, none shown twice.
(function () {
  'use strict';
  var communityId = document.body.getAttribute('data-community-id');
  var slug = document.body.getAttribute('data-community-slug');
  var list = document.querySelector('[data-queue="waiting"]');
  var empty = document.querySelector('[data-empty="waiting"]');
  var template = document.getElementById('waiting-row');
  var status = document.querySelector('[data-live-status]');
  if (!communityId || !slug || !list || !template || typeof window.io !== 'function') return;
  var base = '/c/' + encodeURIComponent(slug);
  var timeFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });

  function field(node, name) {
    return node.querySelector('[data-field="' + name + '"]');
  }

  function showEmpty() {
    if (empty) empty.hidden = list.children.length > 0;
  }

  function add(room) {
    if (!room || room.communityId !== communityId || room.kind !== 'support') return;
    if (!room.support || room.support.status !== 'open') return;
    if (list.querySelector('[data-room-id="' + room.id + '"]')) return;
    var node = template.content.firstElementChild.cloneNode(true);
    var who = room.support.customer ? room.support.customer.displayName : room.name;
    node.setAttribute('data-room-id', room.id);
    field(node, 'customer').textContent = who;
    var since = field(node, 'since');
    since.setAttribute('datetime', room.createdAt);
    since.textContent = timeFormat.format(new Date(room.createdAt)) + ' UTC';
    field(node, 'claim').setAttribute('action', base + '/staff/support/' + room.id + '/claim');
    field(node, 'close').setAttribute('action', base + '/staff/support/' + room.id + '/close');
    field(node, 'claim-label').textContent = ' the chat with ' + who;
    field(node, 'close-label').textContent = ' the chat with ' + who;
    list.appendChild(node);
    showEmpty();
    if (status) status.textContent = 'New support request from ' + who;
  }

  // Rooms claimed or closed while this page was open: a queue read that started before must not bring them back.
  var gone = {};

  function remove(room, what) {
    if (!room || room.communityId !== communityId) return;
    gone[room.id] = true;
    var row = list.querySelector('[data-room-id="' + room.id + '"]');
    if (!row) return;
    row.remove();
    showEmpty();
    var who = room.support && room.support.customer ? room.support.customer.displayName : room.name;
    var by = what === 'claimed' && room.support && room.support.claimedBy ? ' by ' + room.support.claimedBy.displayName : '';
    if (status) status.textContent = 'The chat with ' + who + ' was ' + what + by;
  }

  // One socket per page, shared by its scripts (the bell and the page's live parts): a user may hold 10.
  var socket = window.hearthSocket || (window.hearthSocket = window.io({ transports: ['websocket', 'polling'] }));
  function ids() {
    var out = {};
    list.querySelectorAll('li[data-room-id]').forEach(function (li) { out[li.getAttribute('data-room-id')] = li; });
    return out;
  }

  // The waiting rows as the server shows them now: add those missing here, drop those no longer waiting.
  function sync() {
    var before = ids();
    return fetch(base + '/staff/support', { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (res) {
        if (!res.ok) throw new Error('queue read failed: ' + res.status);
        return res.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, 'text/html').querySelectorAll('[data-queue="waiting"] > li[data-room-id]');
        var now = ids();
        var seen = {};
        var added = [];
        fresh.forEach(function (li) {
          var id = li.getAttribute('data-room-id');
          seen[id] = true;
          if (now[id] || gone[id]) return;
          var node = document.importNode(li, true);
          node.classList.add('is-new');
          list.appendChild(node);
          added.push(node);
        });
        // Rows this page had before the read that the server no longer lists were claimed or closed meanwhile.
        Object.keys(before).forEach(function (id) {
          if (!seen[id] && before[id].parentNode) before[id].remove();
        });
        showEmpty();
        if (status && added.length === 1) status.textContent = 'New support request from ' + added[0].querySelector('.thread-title').textContent.trim();
        else if (status && added.length > 1) status.textContent = added.length + ' new support requests';
      })
      .catch(function () {
        if (status) status.textContent = 'The queue could not be refreshed: reload the page to see new requests.';
      });
  }

  socket.on('connect', function () {
    sync().then(function () {
      document.body.setAttribute('data-live', 'on');
    });
  });
  if (socket.connected) sync().then(function () { document.body.setAttribute('data-live', 'on'); });
  socket.on('disconnect', function () {
    document.body.setAttribute('data-live', 'off');
  });
  socket.on('support:requested', function (event) {
    add(event && event.room);
  });
  socket.on('support:claimed', function (event) {
    remove(event && event.room, 'claimed');
  });
  socket.on('support:closed', function (event) {
    remove(event && event.room, 'closed');
  });
})();
