// Live replies on a thread page (socket.io; public threads, watched as a guest).
(function () {
  'use strict';
  var threadId = document.body.getAttribute('data-thread-id');
  var posts = document.getElementById('posts');
  var status = document.getElementById('live-status');
  if (!threadId || !posts || typeof window.io !== 'function') return;

  var ROLE_LABELS = { staff: 'Staff', moderator: 'Moderator', admin: 'Admin' };
  var REACTIONS = { like: 'Like', helpful: 'Helpful', love: 'Love', insightful: 'Insightful' };
  var dateFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function badge(text, kind) {
    return el('span', 'badge' + (kind ? ' badge-' + kind : ''), text);
  }

  // The same markup as views/partials/post.eta.
  function render(post) {
    var article = el('article', 'post' + (post.isAccepted ? ' is-accepted' : '') + (post.isOfficial ? ' is-official' : ''));
    article.id = 'post-' + post.id;
    article.setAttribute('aria-labelledby', 'post-' + post.id + '-by');
    var head = el('header', 'post-head');
    var author = el('span', 'author', post.author.displayName);
    author.id = 'post-' + post.id + '-by';
    head.appendChild(author);
    if (post.author.username) head.appendChild(el('span', 'handle', '@' + post.author.username));
    if (ROLE_LABELS[post.authorRole]) head.appendChild(badge(ROLE_LABELS[post.authorRole], 'role'));
    if (post.verifiedBuyer) head.appendChild(badge('Verified buyer', 'buyer'));
    if (post.isAccepted) head.appendChild(badge('Accepted answer', 'accepted'));
    if (post.isOfficial) head.appendChild(badge('Official answer', 'official'));
    var link = el('a', 'permalink');
    link.href = '#post-' + post.id;
    var time = el('time', '', dateFormat.format(new Date(post.createdAt)) + ' UTC');
    time.setAttribute('datetime', post.createdAt);
    link.appendChild(time);
    head.appendChild(link);
    article.appendChild(head);
    var body = el('div', 'post-body');
    body.innerHTML = post.html; // sanitized by the server, as on the page
    article.appendChild(body);
    (post.attachments || []).forEach(function (a, i, all) {
      var img = el('img');
      img.src = a.url.replace(/^https?:\/\/[^/]+/, ''); // our own photos, from this origin
      img.width = a.width;
      img.height = a.height;
      img.alt = 'Photo ' + (i + 1) + ' of ' + all.length + ' from ' + post.author.displayName;
      var photos = article.querySelector('.photos') || article.appendChild(el('div', 'photos'));
      photos.appendChild(img);
    });
    var counts = Object.keys(post.reactions || {}).filter(function (k) { return post.reactions[k] > 0; });
    if (counts.length) {
      var list = el('ul', 'reactions');
      list.setAttribute('aria-label', 'Reactions');
      counts.forEach(function (k) { list.appendChild(el('li', '', (REACTIONS[k] || k) + ' ' + post.reactions[k])); });
      article.appendChild(list);
    }
    return article;
  }

  // One socket per page, shared by its scripts (the bell and the page's live parts): a user may hold 10.
  var socket = window.hearthSocket || (window.hearthSocket = window.io({ transports: ['websocket', 'polling'] }));
  socket.on('connect', function () {
    socket.emit('thread:watch', { threadId: threadId }, function (ack) {
      // Watching (tests and styles can tell): replies now arrive as they are posted.
      if (ack && ack.ok) document.body.setAttribute('data-live', 'on');
    });
  });
  socket.on('post:new', function (event) {
    if (!event || event.threadId !== threadId || !event.post) return;
    if (document.getElementById('post-' + event.post.id)) return;
    var node = render(event.post);
    node.classList.add('is-new');
    posts.appendChild(node);
    if (status) status.textContent = 'New reply from ' + event.post.author.displayName;
  });
  socket.on('post:updated', function (event) {
    if (!event || !event.post) return;
    var old = document.getElementById('post-' + event.post.id);
    if (old) old.replaceWith(render(event.post));
  });
  socket.on('post:deleted', function (event) {
    if (!event) return;
    var old = document.getElementById('post-' + event.postId);
    if (old) old.remove();
  });
})();
