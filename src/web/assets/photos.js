// Photos on the new-thread and reply forms: choose or drop images; each is uploaded at once through
// the upload pipeline and shown as a thumbnail, and its id goes with the form (attachmentIds).
// Without this script the file input is sent with the form and the server uploads the files.
(function () {
  'use strict';
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var slug = document.body.getAttribute('data-community-slug');
  if (!csrf || !slug || !window.fetch || !window.FormData || !window.FileReader) return;

  document.querySelectorAll('[data-photo-drop]').forEach(function (zone) {
    var form = zone.closest('form');
    var input = zone.querySelector('input[type="file"]');
    var list = zone.querySelector('[data-photo-list]');
    var status = zone.querySelector('[data-photo-status]');
    var hint = zone.querySelector('[data-drop-hint]');
    var submit = form && form.querySelector('button[type="submit"]');
    var max = parseInt(zone.getAttribute('data-max'), 10) || 5;
    var pending = 0;
    var made = 0;
    if (!form || !input || !list) return;
    zone.classList.add('is-enhanced');
    if (hint) hint.hidden = false;

    function say(text) {
      if (status) status.textContent = text;
    }
    function attached() {
      return list.querySelectorAll('input[name="attachmentIds"]:checked, input[type="hidden"][name="attachmentIds"], li[data-uploading]').length;
    }
    function busy(delta) {
      pending += delta;
      zone.setAttribute('aria-busy', pending ? 'true' : 'false');
      if (submit) submit.disabled = pending > 0; // the post waits for its photos
    }
    function refresh() {
      list.hidden = !list.children.length;
    }

    function add(file) {
      if (attached() >= max) {
        say('At most ' + max + ' photos per post: ' + file.name + ' was not added.');
        return;
      }
      if (!/^image\/(jpeg|png|webp|gif)$/.test(file.type)) {
        say(file.name + ' is not a JPEG, PNG, WebP or GIF image.');
        return;
      }
      var n = ++made;
      var item = document.createElement('li');
      item.className = 'photo-item';
      item.setAttribute('data-uploading', '');
      var img = document.createElement('img');
      img.alt = 'Photo ' + n + ': ' + file.name;
      img.width = 96;
      var caption = document.createElement('span');
      caption.className = 'photo-caption';
      caption.textContent = 'Uploading ' + file.name + '…';
      item.appendChild(img);
      item.appendChild(caption);
      list.appendChild(item);
      refresh();
      var reader = new FileReader();
      reader.onload = function () {
        img.src = String(reader.result); // a data: URL, from this browser's own copy of the file
      };
      reader.readAsDataURL(file);

      var data = new FormData();
      data.append('file', file, file.name);
      busy(1);
      say('Uploading ' + file.name + '…');
      fetch('/c/' + encodeURIComponent(slug) + '/photos', { method: 'POST', body: data, headers: { 'x-csrf-token': csrf.content, accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (res) {
          return res.json().then(function (body) {
            if (!res.ok) throw new Error(body && body.detail ? body.detail : 'The upload did not work');
            return body;
          });
        })
        .then(function (photo) {
          item.removeAttribute('data-uploading');
          item.setAttribute('data-attachment-id', photo.id);
          var hidden = document.createElement('input');
          hidden.type = 'hidden';
          hidden.name = 'attachmentIds';
          hidden.value = photo.id;
          item.appendChild(hidden);
          caption.textContent = file.name;
          var remove = document.createElement('button');
          remove.type = 'button';
          remove.className = 'secondary small';
          remove.textContent = 'Remove';
          remove.setAttribute('aria-label', 'Remove photo ' + n + ' (' + file.name + ')');
          remove.addEventListener('click', function () {
            item.remove();
            refresh();
            say('Photo ' + n + ' removed.');
            input.focus();
          });
          item.appendChild(remove);
          say('Photo ' + n + ' (' + file.name + ') is ready to post.');
        })
        .catch(function (err) {
          item.remove();
          refresh();
          say(file.name + ': ' + err.message);
        })
        .finally(function () {
          busy(-1);
        });
    }

    function addAll(files) {
      Array.prototype.forEach.call(files || [], add);
      input.value = ''; // uploaded already: the form does not send the files again
    }

    input.addEventListener('change', function () {
      addAll(input.files);
    });
    ['dragenter', 'dragover'].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.add('is-dragover');
      });
    });
    ['dragleave', 'drop'].forEach(function (type) {
      zone.addEventListener(type, function () {
        zone.classList.remove('is-dragover');
      });
    });
    zone.addEventListener('drop', function (event) {
      event.preventDefault();
      if (event.dataTransfer) addAll(event.dataTransfer.files);
    });
  });
})();
