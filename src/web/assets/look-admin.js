// The brand look page (staff/look.eta): keeps the colour picker and its #rrggbb text in step and
// shows the contrast with white text as the admin picks. The form works without it.
(function () {
  'use strict';
  var picker = document.querySelector('[data-look-picker]');
  var text = document.querySelector('[data-look-colour]');
  if (!picker || !text) return;
  var hex = /^#[0-9a-fA-F]{6}$/;
  var help = document.getElementById('look-colour-help');
  var status = document.createElement('span');
  status.setAttribute('aria-live', 'polite');
  if (help) help.appendChild(status);

  function luminance(value) {
    var sum = [1, 3, 5].map(function (i, k) {
      var c = parseInt(value.slice(i, i + 2), 16) / 255;
      c = c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
      return c * [0.2126, 0.7152, 0.0722][k];
    });
    return sum[0] + sum[1] + sum[2];
  }
  function describe(value) {
    var shown = document.querySelector('[data-look-contrast]');
    if (shown) shown.remove(); // the server's figure is for the colour the page came with
    if (!hex.test(value)) {
      status.textContent = '';
      return;
    }
    var ratio = Math.floor((1.05 / (luminance(value) + 0.05)) * 100) / 100;
    status.textContent = ' Picked: ' + value.toLowerCase() + ', contrast ' + ratio.toFixed(2) + ':1' + (ratio >= 4.5 ? ' (readable).' : ' (too light: white text would be hard to read).');
  }
  picker.addEventListener('input', function () {
    text.value = picker.value;
    describe(picker.value);
  });
  text.addEventListener('input', function () {
    if (hex.test(text.value.trim())) picker.value = text.value.trim().toLowerCase();
    describe(text.value.trim());
  });
})();
