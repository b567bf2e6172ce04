// A chat room page: inline edit and delete of messages over the socket (chat.js shares the page's socket and
// markup helpers as window.hearthChat). Without this script Edit opens the edit page and Delete posts.
(function () {
  'use strict';
  var chat = window.hearthChat;
  if (!chat) return;
  var socket = chat.socket;
  var list = chat.list;
  var el = chat.el;
  var replace = chat.replace;

  // Inline edit and delete over the socket; offline, the Edit link opens the edit page and Delete posts.
  var notice = document.getElementById('chat-notice');
  function say(text) {
    if (!notice) return;
    notice.textContent = text;
    notice.hidden = !text;
  }
  function ackError(err, ack, what) {
    if (err) return what + ': the connection is slow. Try again.';
    var e = ack && ack.error;
    return (e && ((e.errors && e.errors[0] && e.errors[0].message) || e.message)) || what + '. Try again.';
  }
  function startEdit(li, link) {
    var open = li.querySelector('.chat-edit-form textarea');
    if (open) return open.focus();
    var id = li.id.slice('message-'.length);
    var content = li.querySelector('.chat-message-body');
    var box = link.parentNode;
    var form = el('form', 'chat-edit-form');
    form.innerHTML = '<label class="visually-hidden" for="edit-' + id + '">Edit message</label><textarea id="edit-' + id + '" rows="3" maxlength="2000"></textarea>' +
      '<p class="form-error" role="alert" hidden></p><div class="actions"><button type="submit">Save</button> <button type="button" class="secondary">Cancel</button></div>';
    var area = form.querySelector('textarea');
    var error = form.querySelector('p');
    var save = form.querySelector('[type="submit"]');
    var cancel = form.querySelector('.secondary');
    area.value = li.getAttribute('data-body') || '';
    content.hidden = box.hidden = true;
    content.after(form);
    area.focus();
    function end() {
      form.remove();
      content.hidden = box.hidden = false;
      link.focus();
    }
    cancel.addEventListener('click', end);
    area.addEventListener('keydown', function (e) {
      if (e.key === 'Escape') end();
      else if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      if (!area.value.trim()) {
        error.textContent = 'Write a message first.';
        error.hidden = false;
        return area.focus();
      }
      save.disabled = true;
      socket.timeout(10000).emit('message:edit', { messageId: id, body: area.value }, function (err, ack) {
        save.disabled = false;
        if (err || !ack || !ack.ok) {
          error.textContent = ackError(err, ack, 'Not saved');
          error.hidden = false;
          return area.focus();
        }
        replace(li, ack.message, true); // Save was disabled meanwhile, so focus may have left the message
      });
    });
  }
  list.addEventListener('click', function (e) {
    var link = e.target.closest && e.target.closest('[data-message-edit]');
    if (!link || !socket.connected) return;
    e.preventDefault();
    startEdit(link.closest('li'), link);
  });
  document.addEventListener(
    'submit',
    function (e) {
      var form = e.target;
      if (!form.hasAttribute('data-message-delete') || !socket.connected) return;
      e.preventDefault();
      e.stopPropagation();
      if (!window.confirm('Delete this message? This cannot be undone.')) return;
      var li = form.closest('li');
      socket.timeout(10000).emit('message:delete', { messageId: li.id.slice('message-'.length) }, function (err, ack) {
        if (err || !ack || !ack.ok) return say(ackError(err, ack, 'Not deleted'));
        say('');
        li.remove();
        // The message and its buttons are gone: focus goes to the list it was in.
        document.getElementById('message-log').focus();
      });
    },
    true,
  );
})();
