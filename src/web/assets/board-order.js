// The admin's boards page: order boards by drag and drop, and make Move up / Move down work in
// place (focus stays on the button). Without this script, Move up / Move down are plain forms.
(function () {
  'use strict';
  var list = document.querySelector('[data-board-order]');
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var status = document.querySelector('[data-order-status]');
  if (!list || !csrf || !window.fetch || !window.FormData) return;

  function rows() {
    return Array.prototype.slice.call(list.querySelectorAll('[data-board-id]'));
  }
  function order() {
    return rows().map(function (row) { return row.getAttribute('data-board-id'); });
  }
  function say(text) {
    if (status) status.textContent = text;
  }
  function refreshButtons() {
    var all = rows();
    all.forEach(function (row, i) {
      var up = row.querySelector('[data-move-up]');
      var down = row.querySelector('[data-move-down]');
      if (up) up.disabled = i === 0;
      if (down) down.disabled = i === all.length - 1;
    });
  }

  var saved = order().join(',');
  var sending = Promise.resolve();
  /** Sends the whole order (queued: one request at a time, so the last one wins in order). */
  function save(row) {
    var now = order().join(',');
    if (now === saved) return;
    saved = now;
    // A notice from the last page load ("The board is created.") is about something else now.
    var notice = document.querySelector('.admin-notice');
    if (notice) notice.hidden = true;
    var all = rows();
    var name = row ? row.getAttribute('data-board-name') : '';
    var where = row ? name + ' is now number ' + (all.indexOf(row) + 1) + ' of ' + all.length + '. ' : '';
    say(where + 'Saving the order…');
    sending = sending.then(function () {
      var data = new FormData();
      data.append('_csrf', csrf.content);
      data.append('order', now);
      return fetch(list.getAttribute('data-order-action'), { method: 'POST', body: data, headers: { 'x-csrf-token': csrf.content }, credentials: 'same-origin' })
        .then(function (res) {
          if (!res.ok) throw new Error('order not saved: ' + res.status);
          say(where + 'Order saved.');
        })
        .catch(function () {
          say('The order could not be saved (someone may have changed the boards): reload the page and try again.');
        });
    });
  }

  // Move up / Move down in place.
  list.querySelectorAll('form[data-move]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var row = form.closest('[data-board-id]');
      var up = form.querySelector('[name="direction"]').value === 'up';
      var button = form.querySelector('button');
      if (up && row.previousElementSibling) list.insertBefore(row, row.previousElementSibling);
      else if (!up && row.nextElementSibling) list.insertBefore(row.nextElementSibling, row);
      refreshButtons();
      // Keep the keyboard where it was; at the top or bottom the other direction's button takes it.
      if (button.disabled) button = row.querySelector(up ? '[data-move-down]' : '[data-move-up]');
      if (button && !button.disabled) button.focus();
      save(row);
    });
  });

  // Drag and drop (HTML5): the row follows the pointer; dropping saves.
  var dragged = null;
  rows().forEach(function (row) {
    row.setAttribute('draggable', 'true');
    row.classList.add('is-draggable');
  });
  list.addEventListener('dragstart', function (event) {
    dragged = event.target.closest && event.target.closest('[data-board-id]');
    if (!dragged) return;
    dragged.classList.add('is-dragging');
    event.dataTransfer.effectAllowed = 'move';
    event.dataTransfer.setData('text/plain', dragged.getAttribute('data-board-id'));
  });
  list.addEventListener('dragover', function (event) {
    if (!dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'move';
    var over = event.target.closest && event.target.closest('[data-board-id]');
    if (!over || over === dragged) return;
    var box = over.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    list.insertBefore(dragged, after ? over.nextElementSibling : over);
  });
  list.addEventListener('drop', function (event) {
    if (dragged) event.preventDefault();
  });
  list.addEventListener('dragend', function () {
    if (!dragged) return;
    var row = dragged;
    dragged = null;
    row.classList.remove('is-dragging');
    refreshButtons();
    save(row);
  });
})();
