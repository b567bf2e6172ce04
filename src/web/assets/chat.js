// A chat room page, live: socket.io signed in by the page's session cookie (no token here).
// Without this script the page still works: history on the page, the send form posts.
(function () {
  'use strict';
  var body = document.body;
  var roomId = body.getAttribute('data-chat-room-id');
  var me = body.getAttribute('data-chat-user-id');
  var inRoom = body.getAttribute('data-chat-in-room') === 'yes';
  var customerId = body.getAttribute('data-chat-customer-id');
  var moderator = body.getAttribute('data-chat-moderator') === 'yes';
  var roomUrl = '/c/' + encodeURIComponent(body.getAttribute('data-community-slug') || '') + '/chat/' + roomId;
  var list = document.getElementById('messages');
  if (!roomId || !list || typeof window.io !== 'function') return;

  var form = document.getElementById('send-form');
  var textarea = document.getElementById('message-body');
  var sendError = document.getElementById('send-error');
  var typingBox = document.getElementById('typing');
  var people = document.getElementById('people');
  var isPublic = people && people.hasAttribute('data-public');
  var dateFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
  var TYPING_EVERY_MS = 2000;
  var TYPING_SHOWN_MS = 5000;

  var names = {};
  document.querySelectorAll('[data-user-id], [data-author-id]').forEach(function (node) {
    var id = node.getAttribute('data-user-id') || node.getAttribute('data-author-id');
    var author = node.querySelector('.author');
    if (id && author) names[id] = author.textContent;
  });
  function nameOf(id) {
    return names[id] || 'A member';
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // The same markup as views/partials/chat-message.eta.
  function render(message) {
    var li = el('li', 'chat-message' + (message.author.id === me ? ' is-mine' : ''));
    li.id = 'message-' + message.id;
    li.setAttribute('data-author-id', message.author.id);
    if (message.author.id === me) li.setAttribute('data-body', message.body);
    var head = el('div', 'chat-message-head');
    head.appendChild(el('span', 'author', message.author.displayName));
    if (customerId && message.author.id !== customerId) {
      head.appendChild(document.createTextNode(' '));
      head.appendChild(el('span', 'badge badge-role', 'Staff'));
    }
    head.appendChild(document.createTextNode(' '));
    var time = el('time', '', dateFormat.format(new Date(message.createdAt)) + ' UTC');
    time.setAttribute('datetime', message.createdAt);
    head.appendChild(time);
    if (message.editedAt) {
      head.appendChild(document.createTextNode(' '));
      head.appendChild(el('span', 'edited', 'edited'));
    }
    li.appendChild(head);
    var content = el('div', 'chat-message-body post-body');
    content.innerHTML = message.html; // sanitized by the server, as on the page
    li.appendChild(content);
    var box = tools(message);
    if (box) li.appendChild(box);
    return li;
  }

  // Edit (own messages) and Delete (own; others' too for moderators: the server's rule, which decides each change).
  // Markup as in the partial; only ids (UUIDs) go into innerHTML, text goes in as text.
  function tools(message) {
    var mine = message.author.id === me;
    if (!mine && !moderator) return null;
    var base = roomUrl + '/messages/' + message.id;
    var when = ' of ' + dateFormat.format(new Date(message.createdAt)) + ' UTC';
    var box = el('div', 'chat-message-tools');
    box.innerHTML = (mine ? '<a href="' + base + '/edit" data-message-edit>Edit<span class="visually-hidden"></span></a> ' : '') +
      '<form method="post" action="' + base + '/delete" enctype="multipart/form-data" class="inline" data-message-delete>' +
      '<input type="hidden" name="_csrf"><button type="submit" class="link-button">Delete<span class="visually-hidden"></span></button></form>';
    var token = document.querySelector('meta[name="csrf-token"]');
    box.querySelector('input').value = token ? token.content : '';
    var hidden = box.querySelectorAll('.visually-hidden');
    hidden[0].textContent = mine ? ' your message' + when : ' the message from ' + message.author.displayName + when;
    if (mine) hidden[1].textContent = ' your message' + when;
    return box;
  }

  function add(node) {
    if (document.getElementById(node.id)) return false;
    list.appendChild(node);
    var empty = document.getElementById('no-messages');
    if (empty) empty.remove();
    return true;
  }

  // Read marks: members of the room, while the page is in view, up to the newest message shown.
  var lastRead = null;
  function markRead() {
    var last = list.lastElementChild;
    if (!inRoom || !last || document.visibilityState !== 'visible' || !socket.connected) return;
    var id = last.id.slice('message-'.length);
    if (id === lastRead) return;
    lastRead = id;
    socket.emit('room:read', { roomId: roomId, messageId: id });
  }

  // Typing: "X is typing…", each name for a few seconds after its last typing event.
  var typers = {};
  function showTyping() {
    var ids = Object.keys(typers);
    var who = ids.map(nameOf);
    var text = '';
    if (who.length === 1) text = who[0] + ' is typing…';
    else if (who.length === 2) text = who[0] + ' and ' + who[1] + ' are typing…';
    else if (who.length > 2) text = 'Several people are typing…';
    if (typingBox.textContent !== text) typingBox.textContent = text;
  }
  function stopTyping(userId) {
    if (!typers[userId]) return;
    clearTimeout(typers[userId]);
    delete typers[userId];
    showTyping();
  }

  // Presence: who has the room open now.
  var online = {};
  function showPresence() {
    if (!people) return;
    if (isPublic) {
      people.textContent = '';
      Object.keys(online).forEach(function (id) {
        people.appendChild(el('li', '', id === me ? nameOf(id) + ' (you)' : nameOf(id)));
      });
      var note = document.getElementById('people-empty');
      if (note) note.hidden = true;
      return;
    }
    people.querySelectorAll('[data-user-id]').forEach(function (li) {
      var on = Boolean(online[li.getAttribute('data-user-id')]);
      var badge = li.querySelector('[data-presence]');
      if (!badge) return;
      badge.hidden = false;
      badge.textContent = on ? 'online' : 'offline';
      badge.className = 'presence' + (on ? ' is-online' : '');
    });
  }

  function supportText(room) {
    var s = room.support;
    if (!s) return '';
    if (s.status === 'closed') return 'Closed';
    if (s.status === 'open') return 'Waiting for a staff member';
    if (s.claimedBy && s.claimedBy.id === me) return 'With you';
    return 'With ' + (s.claimedBy ? s.claimedBy.displayName : 'a staff member');
  }
  function endComposer(text) {
    var composer = document.getElementById('composer');
    if (!composer) return;
    composer.textContent = '';
    composer.appendChild(el('p', 'chat-blocked', text));
    form = null;
  }
  // Who is in the room changes with a claim: the staff member joins the list.
  function syncPeople(members) {
    if (!people || isPublic) return;
    (members || []).forEach(function (m) {
      names[m.id] = m.displayName;
      if (people.querySelector('[data-user-id="' + m.id + '"]')) return;
      var li = el('li');
      li.setAttribute('data-user-id', m.id);
      li.appendChild(el('span', 'author', m.displayName));
      if (m.username) {
        li.appendChild(document.createTextNode(' '));
        li.appendChild(el('span', 'handle', '@' + m.username));
      }
      li.appendChild(document.createTextNode(' '));
      var badge = el('span', 'presence', 'offline');
      badge.setAttribute('data-presence', '');
      li.appendChild(badge);
      people.appendChild(li);
    });
    showPresence();
  }
  function onSupport(event) {
    if (!event || !event.room || event.room.id !== roomId) return;
    syncPeople(event.room.members);
    var status = document.getElementById('support-status');
    if (status) {
      status.textContent = supportText(event.room);
      status.setAttribute('data-support-status', event.room.support.status);
    }
    document.querySelectorAll('[data-claim-form]').forEach(function (f) { f.remove(); });
    if (event.room.support.status === 'closed') {
      document.querySelectorAll('[data-close-form]').forEach(function (f) { f.remove(); });
      endComposer('This support chat is closed.');
    }
  }

  // One socket per page, shared by its scripts (the bell and the page's live parts): a user may hold 10.
  var socket = window.hearthSocket || (window.hearthSocket = window.io({ transports: ['websocket', 'polling'] }));
  var joinedBefore = false;
  socket.on('connect', function () {
    socket.emit('room:join', { roomId: roomId }, function (ack) {
      if (!ack || !ack.ok) return;
      online = {};
      (ack.online || []).forEach(function (id) { online[id] = true; });
      online[me] = true;
      showPresence();
      if (joinedBefore) catchUp();
      joinedBefore = true;
      body.setAttribute('data-live', 'on');
      markRead();
    });
  });
  socket.on('disconnect', function () {
    body.setAttribute('data-live', 'off');
  });

  // After a lost connection: the messages sent meanwhile, from the page itself.
  function catchUp() {
    if (!window.fetch || !window.DOMParser) return;
    fetch(location.pathname, { credentials: 'same-origin' })
      .then(function (res) { return res.ok ? res.text() : ''; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, 'text/html');
        doc.querySelectorAll('#messages > li').forEach(function (li) { add(document.importNode(li, true)); });
      })
      .catch(function () { /* the next message still arrives live */ });
  }

  socket.on('message:new', function (event) {
    if (!event || !event.message || event.message.roomId !== roomId) return;
    var message = event.message;
    names[message.author.id] = message.author.displayName;
    stopTyping(message.author.id);
    var node = render(message);
    if (message.author.id !== me) node.classList.add('is-new');
    if (add(node)) markRead();
  });
  socket.on('message:updated', function (event) {
    if (!event || !event.message) return;
    var old = document.getElementById('message-' + event.message.id);
    if (!old) return;
    // Being edited here: the form stays; what it hides is brought up to date.
    if (old.querySelector('.chat-edit-form')) old.querySelector('.chat-message-body').innerHTML = event.message.html;
    else replace(old, event.message);
  });
  // A message shown anew keeps the keyboard focus on its Edit link.
  function replace(old, message, focus) {
    var focused = focus || old.contains(document.activeElement);
    var fresh = render(message);
    old.replaceWith(fresh);
    var edit = fresh.querySelector('[data-message-edit]');
    if (focused && edit) edit.focus();
  }
  socket.on('message:deleted', function (event) {
    var old = event && document.getElementById('message-' + event.messageId);
    if (old) old.remove();
  });
  socket.on('typing', function (event) {
    if (!event || event.roomId !== roomId || event.userId === me) return;
    clearTimeout(typers[event.userId]);
    typers[event.userId] = setTimeout(function () { stopTyping(event.userId); }, TYPING_SHOWN_MS);
    showTyping();
  });
  socket.on('presence', function (event) {
    if (!event || event.roomId !== roomId) return;
    if (event.online) online[event.userId] = true;
    else {
      delete online[event.userId];
      stopTyping(event.userId);
    }
    showPresence();
  });
  socket.on('support:claimed', onSupport);
  socket.on('support:closed', onSupport);
  socket.on('room:removed', function (event) {
    if (!event || event.roomId !== roomId) return;
    endComposer('You can no longer take part in this room.');
    // The server has taken this socket out of the room; the socket stays for the page's other live parts (the bell).
  });
  document.addEventListener('visibilitychange', markRead);

  // What chat-edit.js (loaded next: inline edit and delete) needs from this page.
  window.hearthChat = { socket: socket, list: list, el: el, replace: replace };

  if (!form || !textarea) return;
  var clientId = form.querySelector('input[name="clientId"]');
  var button = form.querySelector('button[type="submit"]');
  var hint = el('p', 'help', 'Enter sends; Shift+Enter starts a new line.');
  hint.id = 'message-body-keys';
  textarea.parentNode.insertBefore(hint, textarea.nextSibling);
  textarea.setAttribute('aria-describedby', textarea.getAttribute('aria-describedby') + ' message-body-keys');

  function fail(text) {
    sendError.textContent = text;
    sendError.hidden = false;
  }
  function newClientId() {
    return window.crypto && crypto.randomUUID ? 'web-' + crypto.randomUUID() : 'web-' + Date.now() + '-' + Math.random().toString(36).slice(2);
  }

  var lastTyping = 0;
  textarea.addEventListener('input', function () {
    var now = Date.now();
    if (!socket.connected || !textarea.value.trim() || now - lastTyping < TYPING_EVERY_MS) return;
    lastTyping = now;
    socket.emit('typing', { roomId: roomId });
  });
  textarea.addEventListener('keydown', function (e) {
    if (e.key !== 'Enter' || e.shiftKey || e.isComposing || !form) return;
    e.preventDefault();
    form.requestSubmit();
  });

  // Sending over the socket (captured before other submit handlers); offline, the form posts as without script.
  document.addEventListener(
    'submit',
    function (e) {
      if (!form || e.target !== form || !socket.connected) return;
      e.preventDefault();
      e.stopPropagation();
      var text = textarea.value;
      if (!text.trim()) {
        fail('Write a message first.');
        return;
      }
      if (button.disabled) return;
      button.disabled = true;
      socket.timeout(10000).emit('message:send', { roomId: roomId, body: text, clientId: clientId.value }, function (err, ack) {
        button.disabled = false;
        if (!err && ack && ack.ok) {
          sendError.hidden = true;
          sendError.textContent = '';
          textarea.removeAttribute('aria-invalid');
          if (textarea.value === text) textarea.value = '';
          clientId.value = newClientId();
          inRoom = true;
          add(render(ack.message));
          lastTyping = 0;
          markRead();
          textarea.focus();
          return;
        }
        // The same clientId again on retry: a message that did arrive is not stored twice.
        fail(err ? 'Not sent: the connection is slow. Try again.' : (ack && ack.error && ack.error.message) || 'Not sent. Try again.');
      });
    },
    true,
  );
})();
