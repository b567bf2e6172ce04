// The staff dashboard's charts, drawn from the numbers in each chart's table (the table stays: it is
// the accessible version and the page without JS). Time series with uPlot (served from node_modules),
// categories as bars. Colours come from CSS custom properties (--chart-1...), so they follow light and
// dark; the charts are redrawn when the colour scheme or the width changes.
(function () {
  'use strict';
  var sections = Array.prototype.slice.call(document.querySelectorAll('section[data-chart]'));
  if (!sections.length) return;

  var cssHref = document.body.getAttribute('data-uplot-css');
  if (cssHref && !document.querySelector('link[data-uplot]')) {
    var link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = cssHref;
    link.setAttribute('data-uplot', '');
    document.head.appendChild(link);
  }

  function palette() {
    var style = getComputedStyle(document.documentElement);
    var get = function (name, fallback) { return (style.getPropertyValue(name) || '').trim() || fallback; };
    return {
      series: [get('--chart-1', '#1e4fa3'), get('--chart-2', '#a63d1a'), get('--chart-3', '#166534'), get('--chart-4', '#6b21a8')],
      text: get('--muted', '#565b64'),
      grid: get('--border', '#d9d6d0'),
    };
  }

  var dayFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });

  function format(unit, v) {
    if (v === null || v === undefined || isNaN(v)) return '–';
    if (unit === 'share') return Math.round(v * 1000) / 10 + '%';
    return Math.round(v * 100) / 100 + '';
  }

  /** The table's numbers: x labels (and days), the drawn columns' names, values per column. */
  function readTable(table) {
    var heads = Array.prototype.slice.call(table.querySelectorAll('thead th')).slice(1);
    var columns = [];
    heads.forEach(function (th, i) {
      if (!th.hasAttribute('data-table-only')) columns.push({ index: i, label: th.textContent.trim(), values: [] });
    });
    var rows = Array.prototype.slice.call(table.querySelectorAll('tbody tr'));
    var labels = [];
    var days = [];
    rows.forEach(function (tr) {
      var th = tr.querySelector('th');
      labels.push(th.textContent.trim());
      days.push(th.getAttribute('data-x'));
      var cells = tr.querySelectorAll('td');
      columns.forEach(function (col) {
        var cell = cells[col.index];
        var raw = cell ? cell.getAttribute('data-value') : null;
        col.values.push(raw === null ? null : Number(raw));
      });
    });
    return { labels: labels, days: days, columns: columns };
  }

  function lineChart(section, plot, data, unit, colours) {
    if (typeof window.uPlot !== 'function') return null;
    var xs = data.days.map(function (d) { return Date.parse(d + 'T00:00:00Z') / 1000; });
    var axis = { stroke: colours.text, grid: { stroke: colours.grid, width: 1 }, ticks: { stroke: colours.grid, width: 1 } };
    var opts = {
      width: Math.max(plot.parentNode.clientWidth, 240), // the plot itself is hidden while empty
      height: 220,
      tzDate: function (ts) { return window.uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'); },
      scales: { x: { time: true }, y: unit === 'share' ? { range: [0, 1] } : { range: function (u, min, max) { return [0, Math.max(1, max * 1.1)]; } } },
      axes: [
        Object.assign({}, axis, { values: function (u, vals) { return vals.map(function (v) { return dayFormat.format(new Date(v * 1000)); }); } }),
        Object.assign({}, axis, {
          size: 56,
          incrs: unit === 'share' ? [0.1, 0.2, 0.25, 0.5] : [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6],
          values: function (u, vals) { return vals.map(function (v) { return format(unit, v); }); },
        }),
      ],
      series: [{ label: 'Day', value: function (u, v) { return v === null || v === undefined ? '–' : dayFormat.format(new Date(v * 1000)); } }].concat(data.columns.map(function (col, i) {
        return {
          label: col.label,
          stroke: colours.series[i % colours.series.length],
          width: 2,
          dash: i % 2 ? [6, 4] : undefined, // told apart without colour too
          points: { show: data.days.length < 40, size: 6 },
          value: function (u, v) { return format(unit, v); },
        };
      })),
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
    };
    return new window.uPlot(opts, [xs].concat(data.columns.map(function (c) { return c.values; })), plot);
  }

  function barChart(plot, data, unit, colours) {
    var max = unit === 'share' ? 1 : 0;
    data.columns.forEach(function (c) { c.values.forEach(function (v) { if (v !== null && v > max) max = v; }); });
    if (max <= 0) max = 1;
    var list = document.createElement('div');
    list.className = 'bars';
    data.labels.forEach(function (label, r) {
      data.columns.forEach(function (col, i) {
        var v = col.values[r];
        var row = document.createElement('div');
        row.className = 'bar-row';
        var name = document.createElement('span');
        name.className = 'bar-label';
        name.textContent = data.columns.length > 1 ? label + ' · ' + col.label : label;
        var track = document.createElement('span');
        track.className = 'bar-track';
        var bar = document.createElement('span');
        bar.className = 'bar-fill';
        bar.style.width = (v === null ? 0 : Math.max(0, Math.min(1, v / max)) * 100) + '%';
        bar.style.background = colours.series[i % colours.series.length];
        track.appendChild(bar);
        var value = document.createElement('span');
        value.className = 'bar-value';
        value.textContent = format(unit, v);
        row.appendChild(name);
        row.appendChild(track);
        row.appendChild(value);
        list.appendChild(row);
      });
    });
    plot.appendChild(list);
  }

  var drawn = [];

  function drawAll() {
    drawn.forEach(function (u) { u.destroy(); });
    drawn = [];
    var colours = palette();
    sections.forEach(function (section) {
      var plot = section.querySelector('.chart-plot');
      var table = section.querySelector('.chart-table table');
      if (!plot || !table) return;
      plot.textContent = '';
      var data = readTable(table);
      var unit = section.getAttribute('data-unit');
      if (section.getAttribute('data-chart') === 'line') {
        var u = lineChart(section, plot, data, unit, colours);
        if (u) drawn.push(u);
      } else {
        barChart(plot, data, unit, colours);
      }
      section.setAttribute('data-drawn', '');
    });
    document.body.setAttribute('data-charts', 'drawn');
  }

  function start() {
    drawAll();
    var scheme = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
    if (scheme && scheme.addEventListener) scheme.addEventListener('change', drawAll);
    var width = document.documentElement.clientWidth;
    var timer = null;
    window.addEventListener('resize', function () {
      if (document.documentElement.clientWidth === width) return;
      width = document.documentElement.clientWidth;
      clearTimeout(timer);
      timer = setTimeout(drawAll, 150);
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
