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

  // What this viewer may do (decided by the server, thread-pages.ts); the POST routes check again.
  var canAccept = posts.getAttribute('data-can-accept') === 'true';
  var canReact = posts.getAttribute('data-can-react') === 'true';
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.content : '';
  var replyCount = document.getElementById('reply-count');

  // The server's count when the event carries it (a hidden reply still counts there), else by one.
  function countBy(delta, now) {
    if (!replyCount) return;
    var n = typeof now === 'number' ? now : Math.max(0, Number(replyCount.getAttribute('data-reply-count')) + delta);
    replyCount.setAttribute('data-reply-count', String(n));
    replyCount.textContent = n + (n === 1 ? ' reply' : ' replies');
  }

  // A form as the page's own (partials/accept.eta, the react form): multipart, with the CSRF token.
  function postForm(action, className) {
    var form = el('form', className);
    form.method = 'post';
    form.action = action;
    form.enctype = 'multipart/form-data';
    form.appendChild(hidden('_csrf', csrf));
    // As app.js does for the page's forms: a second click does not post twice.
    form.addEventListener('submit', function () {
      var submit = form.querySelector('button[type="submit"]');
      if (submit) setTimeout(function () { submit.disabled = true; }, 0);
    });
    return form;
  }
  function hidden(name, value) {
    var input = el('input');
    input.type = 'hidden';
    input.name = name;
    input.value = value;
    return input;
  }
  function button(text, className) {
    var node = el('button', className, text);
    node.type = 'submit';
    return node;
  }

  function acceptForm(post) {
    var form = postForm('/t/' + post.threadId + '/accept', 'accept-form');
    form.appendChild(hidden('postId', post.id));
    var submit = form.appendChild(button('Accept this answer', 'secondary'));
    submit.setAttribute('aria-describedby', 'post-' + post.id + '-by');
    return form;
  }

  function reactForm(post, mine) {
    var form = postForm('/t/' + post.threadId + '/posts/' + post.id + '/react', 'react-form');
    if (post.score) form.appendChild(el('span', 'score', 'Score ' + post.score));
    Object.keys(REACTIONS).forEach(function (kind) {
      var isMine = mine.indexOf(kind) !== -1;
      var n = (post.reactions || {})[kind] || 0;
      var b = form.appendChild(button(REACTIONS[kind], 'reaction' + (isMine ? ' is-mine' : '')));
      b.name = 'reaction';
      b.value = kind + ':' + (isMine ? 'off' : 'on');
      b.setAttribute('aria-pressed', isMine ? 'true' : 'false');
      if (n) {
        b.appendChild(document.createTextNode(' '));
        b.appendChild(el('span', 'count', String(n)));
      }
    });
    return form;
  }

  function reactionList(post) {
    var counts = Object.keys(post.reactions || {}).filter(function (k) { return post.reactions[k] > 0; });
    if (!counts.length && !post.score) return null;
    var list = el('ul', 'reactions');
    list.setAttribute('aria-label', 'Reactions');
    if (post.score) list.appendChild(el('li', '', 'Score ' + post.score));
    counts.forEach(function (k) { list.appendChild(el('li', '', (REACTIONS[k] || k) + ' ' + post.reactions[k])); });
    return list;
  }

  // The same markup as views/partials/post.eta, with this viewer's buttons. The live event is the
  // post as anyone sees it: `mine` carries the viewer's own reactions over from the page.
  function render(post, mine) {
    var article = el('article', 'post' + (post.isAccepted ? ' is-accepted' : '') + (post.isOfficial ? ' is-official' : ''));
    article.id = 'post-' + post.id;
    article.setAttribute('data-post-number', String(post.postNumber));
    article.setAttribute('aria-labelledby', 'post-' + post.id + '-by');
    var head = el('header', 'post-head');
    var author = el('span', 'author');
    author.id = 'post-' + post.id + '-by';
    if (post.author.username) {
      var profile = el('a', '', post.author.displayName);
      profile.href = '/u/' + encodeURIComponent(post.author.username);
      author.appendChild(profile);
    } else {
      author.textContent = post.author.displayName;
    }
    head.appendChild(author);
    if (post.author.username) head.appendChild(el('span', 'handle', '@' + post.author.username));
    if (ROLE_LABELS[post.authorRole]) head.appendChild(badge(ROLE_LABELS[post.authorRole], 'role'));
    if (post.verifiedBuyer) head.appendChild(badge('Verified buyer', 'buyer'));
    if (post.isAccepted) head.appendChild(badge('Accepted answer', 'accepted'));
    if (post.isOfficial) head.appendChild(badge('Official answer', 'official'));
    if (post.isFaq) head.appendChild(badge('FAQ'));
    var link = el('a', 'permalink');
    link.href = '#post-' + post.id;
    var time = el('time', '', dateFormat.format(new Date(post.createdAt)) + ' UTC');
    time.setAttribute('datetime', post.createdAt);
    link.appendChild(time);
    head.appendChild(link);
    if (post.editedAt) head.appendChild(el('span', 'edited', '(edited)'));
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
    if (canAccept && post.postNumber > 1 && !post.isAccepted) article.appendChild(acceptForm(post));
    var reactions = canReact && csrf ? reactForm(post, mine || []) : reactionList(post);
    if (reactions) article.appendChild(reactions);
    return article;
  }

  // The viewer's own reactions on a post already on the page (its pressed buttons).
  function myReactions(node) {
    return Array.prototype.map.call(node.querySelectorAll('button.reaction[aria-pressed="true"]'), function (b) {
      return b.value.split(':')[0];
    });
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
    var node = render(event.post, []);
    node.classList.add('is-new');
    posts.appendChild(node);
    if (event.post.postNumber > 1) countBy(1, event.replyCount);
    if (status) status.textContent = 'New reply from ' + event.post.author.displayName;
  });
  socket.on('post:updated', function (event) {
    if (!event || !event.post) return;
    var old = document.getElementById('post-' + event.post.id);
    if (old) old.replaceWith(render(event.post, myReactions(old)));
  });
  socket.on('post:deleted', function (event) {
    if (!event) return;
    var old = document.getElementById('post-' + event.postId);
    if (old) old.remove();
    // Replies only: the first post is the question, not counted among the replies.
    if (typeof event.replyCount === 'number' && event.threadId === threadId) countBy(0, event.replyCount);
    else if (old && old.getAttribute('data-post-number') !== '1') countBy(-1);
  });
})();
