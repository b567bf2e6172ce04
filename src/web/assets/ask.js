// "Ask a question": while the member types the title, up to 5 similar questions already asked,
// as links (the search suggestions); the form itself works the same without this script.
(function () {
  'use strict';
  var region = document.querySelector('[data-similar]');
  var list = document.querySelector('[data-similar-list]');
  var status = document.querySelector('[data-similar-status]');
  var title = document.getElementById('thread-title');
  var slug = document.body.getAttribute('data-community-slug');
  var board = document.body.getAttribute('data-board-id');
  if (!region || !list || !title || !slug || !window.fetch) return;

  var MIN = 3;
  var MAX = 5;
  var timer = null;
  var asked = '';
  var seq = 0;
  title.setAttribute('aria-controls', 'similar-questions');

  function render(items, q) {
    list.textContent = '';
    items.slice(0, MAX).forEach(function (item) {
      var li = document.createElement('li');
      var a = document.createElement('a');
      a.href = item.url;
      a.textContent = item.title;
      li.appendChild(a);
      list.appendChild(li);
    });
    region.hidden = items.length === 0;
    region.setAttribute('data-for', q);
    if (status) {
      status.textContent = items.length
        ? items.length + (items.length === 1 ? ' similar question' : ' similar questions') + ' already asked, listed below the title'
        : '';
    }
  }

  function lookUp() {
    var q = title.value.trim();
    if (q === asked) return;
    asked = q;
    var mine = ++seq;
    if (q.length < MIN) {
      render([], q);
      return;
    }
    var url = '/c/' + encodeURIComponent(slug) + '/similar?q=' + encodeURIComponent(q) + (board ? '&board=' + encodeURIComponent(board) : '');
    fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (res) {
        if (!res.ok) throw new Error('similar: ' + res.status);
        return res.json();
      })
      .then(function (result) {
        if (mine === seq) render(result.items || [], q); // a newer answer wins
      })
      .catch(function () {
        if (mine === seq) render([], q); // no suggestions; asking still works
      });
  }

  title.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(lookUp, 300);
  });
  if (title.value) lookUp();
})();
