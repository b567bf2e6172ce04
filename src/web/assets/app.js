// Hearth pages: progressive enhancement only; every page works without this script.
(function () {
  'use strict';
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var slug = document.body.getAttribute('data-community-slug');

  // Markdown preview: the server renders and sanitizes exactly as it will for the post.
  document.querySelectorAll('form[data-compose]').forEach(function (form) {
    var button = form.querySelector('[data-preview-button]');
    var output = form.querySelector('[data-preview-output]');
    var body = form.querySelector('textarea[name="body"]');
    if (!button || !output || !body || !csrf || !slug || !window.fetch) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      var data = new FormData();
      data.append('_csrf', csrf.content);
      data.append('body', body.value);
      button.disabled = true;
      fetch('/c/' + encodeURIComponent(slug) + '/preview', { method: 'POST', body: data, headers: { 'x-csrf-token': csrf.content }, credentials: 'same-origin' })
        .then(function (res) {
          if (!res.ok) throw new Error('preview failed: ' + res.status);
          return res.json();
        })
        .then(function (result) {
          output.innerHTML = '<p class="preview-label">Preview</p>' + result.html; // sanitized by the server
          output.hidden = false;
        })
        .catch(function () {
          output.textContent = 'The preview is not available right now; you can still post.';
          output.hidden = false;
        })
        .finally(function () {
          button.disabled = false;
        });
    });
  });

  // A form that came back with errors: focus its first invalid field (its error is in its description).
  var invalid = document.querySelector('[aria-invalid="true"]');
  if (invalid) invalid.focus();

  // Submitting twice by accident posts twice: disable a form's submit button once it is sent.
  document.querySelectorAll('form[method="post"]').forEach(function (form) {
    form.addEventListener('submit', function () {
      var submit = form.querySelector('button[type="submit"]');
      if (submit) setTimeout(function () { submit.disabled = true; }, 0);
    });
  });
})();
