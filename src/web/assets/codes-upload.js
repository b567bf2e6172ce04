// Coupon codes upload (admin loyalty page): the same form posted in the background, with the upload's
// progress and the result in the form's aria-live status. Without this script the form posts as usual
// and the page that comes back shows the result.
(function () {
  'use strict';
  var csrf = document.querySelector('meta[name="csrf-token"]');
  if (!csrf || !window.FormData || !window.XMLHttpRequest) return;

  document.querySelectorAll('form.codes-upload').forEach(function (form) {
    var input = form.querySelector('input[type="file"]');
    var status = form.querySelector('.codes-status');
    var progress = form.querySelector('.codes-progress');
    var button = form.querySelector('button[type="submit"]');
    if (!input || !status || !progress || !button) return;

    function say(text, isError) {
      status.textContent = text;
      status.classList.toggle('field-error', Boolean(isError));
    }

    function problems(message, lines) {
      say(message, true);
      if (lines && lines.length) {
        var list = document.createElement('ul');
        lines.forEach(function (line) {
          var item = document.createElement('li');
          item.textContent = line;
          list.appendChild(item);
        });
        status.appendChild(list);
      }
      input.setAttribute('aria-invalid', 'true');
    }

    form.addEventListener('submit', function (event) {
      if (!input.files || !input.files.length) return; // the server answers "Choose a CSV file"
      event.preventDefault();
      var data = new FormData(form);
      var xhr = new XMLHttpRequest();
      xhr.open('POST', form.action);
      xhr.setRequestHeader('x-csrf-token', csrf.content);
      xhr.setRequestHeader('accept', 'application/json');
      button.disabled = true;
      input.removeAttribute('aria-invalid');
      progress.hidden = false;
      progress.value = 0;
      say('Uploading… 0%');
      xhr.upload.addEventListener('progress', function (e) {
        if (!e.lengthComputable) return;
        var pct = Math.round((e.loaded / e.total) * 100);
        progress.value = pct;
        say('Uploading… ' + pct + '%');
      });
      xhr.upload.addEventListener('load', function () {
        progress.removeAttribute('value'); // indeterminate while the server adds the codes
        say('Uploaded; adding the codes…');
      });
      xhr.addEventListener('load', function () {
        button.disabled = false;
        progress.hidden = true;
        var body = null;
        try {
          body = JSON.parse(xhr.responseText);
        } catch (err) {
          body = null;
        }
        if (xhr.status >= 200 && xhr.status < 300 && body) {
          say(body.message);
          var available = document.querySelector('[data-available="' + form.action.split('/rewards/')[1].split('/')[0] + '"]');
          if (available) available.textContent = String(body.available);
          form.reset();
          return;
        }
        if (body && body.message) problems(body.message, body.errors);
        else problems('The upload failed (' + xhr.status + '). Reload the page and try again.');
      });
      xhr.addEventListener('error', function () {
        button.disabled = false;
        progress.hidden = true;
        problems('The upload failed: check your connection and try again.');
      });
      xhr.send(data);
    });
  });
})();
