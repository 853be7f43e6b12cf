// anwei page behaviour. No inline scripts anywhere: the Content-Security-Policy forbids them.
(function () {
  "use strict";

  // Every htmx request carries the session's CSRF token as a header.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { event.detail.headers["X-CSRF-Token"] = meta.content; }
  });

  // The regional map: city outlines from the vendored ECharts map data, coloured by the number of
  // enterprises the user may see in each city.
  function drawMap(element) {
    if (!window.echarts) { return; }
    Promise.all([
      fetch(element.dataset.mapUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); }),
      fetch(element.dataset.countsUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); })
    ]).then(function (results) {
      var geo = results[0], counts = results[1];
      echarts.registerMap("province", geo);
      var risk = element.dataset.mode === "risk";
      if (element.dataset.mode === "accidents") {
        // The year's accidents of each city.
        counts = counts.by_city.map(function (c) { return { name: c.city_name, count: c.accidents, code: c.city_code }; });
      }
      if (element.dataset.mode === "coverage") {
        // A share per city (a campaign's targets checked, high-risk enterprises insured), as %.
        counts = (counts.cities || counts.regions).map(function (c) {
          return { name: c.city_name || c.region_name, count: Math.round(c.coverage * 100), code: c.city_code || c.region_code };
        });
      }
      // The risk map colours each city by the highest level of its risk points (4 = 重大 … 1 = 低);
      // the warning map by the highest early-warning grade of its major hazard sources.
      var warning = element.dataset.mode === "warning";
      var rank = warning ? { red: 4, orange: 3, yellow: 2, blue: 1 } : { major: 4, larger: 3, general: 2, low: 1 };
      risk = risk || warning;
      var data = counts.map(function (c) {
        return risk ? { name: c.name, value: rank[c.highest] || 0, code: c.code, detail: c } : { name: c.name, value: c.count, code: c.code };
      });
      var max = data.reduce(function (m, d) { return Math.max(m, d.value); }, 1);
      var chart = echarts.init(element, null, { renderer: "canvas" });
      var visualMap = risk
        ? { type: "piecewise", show: false, pieces: [{ value: 4, color: "#d7301f" }, { value: 3, color: "#fc8d59" }, { value: 2, color: "#fee08b" }, { value: 1, color: "#4575b4" }, { value: 0, color: "#e5e7eb" }] }
        : { min: 0, max: max, left: "left", bottom: 10, calculable: true, inRange: { color: ["#e0f3f8", "#4575b4"] } };
      var tooltip = risk
        ? { trigger: "item", formatter: function (p) {
            var d = p.data && p.data.detail;
            if (!d) { return p.name; }
            return warning
              ? p.name + "<br>红 " + d.red + " · 橙 " + d.orange + " · 黄 " + d.yellow + " · 蓝 " + d.blue + " / " + d.sources
              : p.name + "<br>重大 " + d.major + " · 较大 " + d.larger + " · 一般 " + d.general + " · 低 " + d.low;
          } }
        : { trigger: "item", formatter: "{b}: {c}" };
      chart.setOption({
        tooltip: tooltip,
        visualMap: visualMap,
        series: [{ name: element.dataset.seriesName, type: "map", map: "province", roam: false, label: { show: true, fontSize: 11 }, data: data }]
      });
      chart.on("click", function (params) {
        if (params.data && params.data.code && !warning) { window.location.href = "/enterprises?region=" + encodeURIComponent(params.data.code); }
      });
      window.addEventListener("resize", function () { chart.resize(); });
    }).catch(function (error) {
      element.textContent = String(error);
    });
  }

  // A sensor's last 24 hours: the 1-minute mean as a line within its min–max band, with the
  // alarm thresholds as dashed lines.
  function drawSensorChart(element) {
    if (!window.echarts) { return; }
    fetch(element.dataset.historyUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (history) {
      var buckets = history.buckets || [];
      var lines = [];
      [["high-high", "HH", "#d7301f"], ["high", "H", "#fc8d59"], ["low", "L", "#fc8d59"], ["low-low", "LL", "#d7301f"]].forEach(function (t) {
        var key = t[0].replace(/-([a-z])/g, function (_, c) { return c.toUpperCase(); });
        var value = element.dataset[key];
        if (value !== undefined && value !== "") { lines.push({ yAxis: Number(value), name: t[1], lineStyle: { color: t[2], type: "dashed" }, label: { formatter: t[1] } }); }
      });
      var chart = echarts.init(element, null, { renderer: "canvas" });
      chart.setOption({
        tooltip: { trigger: "axis" },
        grid: { left: 48, right: 24, top: 24, bottom: 32 },
        xAxis: { type: "time", axisLabel: { hideOverlap: true } },
        yAxis: { type: "value", name: element.dataset.unit, scale: true },
        series: [
          { name: "min", type: "line", stack: "band", symbol: "none", lineStyle: { opacity: 0 }, data: buckets.map(function (b) { return [b.start_ms, b.min]; }) },
          { name: "max", type: "line", stack: "band", symbol: "none", lineStyle: { opacity: 0 }, areaStyle: { color: "#c6dbef" }, data: buckets.map(function (b) { return [b.start_ms, b.max - b.min]; }) },
          { name: "avg", type: "line", symbol: "none", lineStyle: { color: "#08519c" }, data: buckets.map(function (b) { return [b.start_ms, b.avg]; }), markLine: { symbol: "none", data: lines } }
        ]
      });
      window.addEventListener("resize", function () { chart.resize(); });
    }).catch(function (error) {
      element.textContent = String(error);
    });
  }

  // Live alarms: the server pushes alarm changes (server-sent events); the list reloads on each.
  function followAlarms(element) {
    if (!window.EventSource || !window.htmx) { return; }
    var source = new EventSource("/api/v1/alarms/stream");
    var reload = function () { window.htmx.trigger(element, "alarm-changed"); };
    source.addEventListener("alarm", reload);
    source.addEventListener("resync", reload);
    window.addEventListener("beforeunload", function () { source.close(); });
  }

  // Critical alarms on the monitoring page: a new unacknowledged one opens a pop-up, and sounds
  // a tone when the user turned sound on (browsers allow sound only after a click; the choice is
  // kept in this browser).
  function watchCriticalAlarms(element) {
    var popup = document.getElementById("alarm-popup");
    var toggle = document.getElementById("alarm-sound");
    if (!popup || !toggle) { return; }
    var audio = null;
    var soundOn = function () { return window.localStorage && localStorage.getItem("anwei.alarmSound") === "on"; };
    var showToggle = function () {
      var on = soundOn();
      toggle.setAttribute("aria-pressed", on ? "true" : "false");
      toggle.textContent = on ? toggle.dataset.on : toggle.dataset.off;
    };
    var beep = function () {
      if (!soundOn()) { return; }
      try {
        audio = audio || new (window.AudioContext || window.webkitAudioContext)();
        [0, 0.45].forEach(function (start) {
          var tone = audio.createOscillator(), gain = audio.createGain();
          tone.type = "square";
          tone.frequency.value = 880;
          gain.gain.value = 0.08;
          tone.connect(gain);
          gain.connect(audio.destination);
          tone.start(audio.currentTime + start);
          tone.stop(audio.currentTime + start + 0.3);
        });
      } catch (error) { /* no audio on this device */ }
    };
    toggle.addEventListener("click", function () {
      if (window.localStorage) { localStorage.setItem("anwei.alarmSound", soundOn() ? "off" : "on"); }
      showToggle();
      beep();
    });
    showToggle();
    var critical = function () {
      return Array.prototype.slice.call(element.querySelectorAll("tr[data-severity=critical]")).filter(function (row) {
        return row.querySelector("form.alarm-ack");
      });
    };
    var seen = {};
    critical().forEach(function (row) { seen[row.dataset.alarm] = true; });
    element.addEventListener("htmx:afterSwap", function () {
      var fresh = critical().filter(function (row) { return !seen[row.dataset.alarm]; });
      fresh.forEach(function (row) { seen[row.dataset.alarm] = true; });
      if (!fresh.length) { return; }
      var list = popup.querySelector("ul");
      list.textContent = "";
      fresh.forEach(function (row) {
        var item = document.createElement("li"), link = document.createElement("a");
        link.href = "/alarms/" + row.dataset.alarm;
        link.textContent = row.cells[1].innerText.replace(/\s+/g, " ") + " · " + row.cells[2].innerText.replace(/\s+/g, " ") + " · " + row.cells[3].innerText;
        item.appendChild(link);
        list.appendChild(item);
      });
      if (typeof popup.showModal === "function" && !popup.open) { popup.showModal(); } else { popup.setAttribute("open", ""); }
      beep();
    });
  }

  // The report form's map: a click sets the point (longitude, latitude) of what is reported.
  function pickPoint(element) {
    if (!window.echarts) { return; }
    var form = element.closest("form");
    var lon = form.querySelector("input[name=longitude]"), lat = form.querySelector("input[name=latitude]");
    var shown = document.getElementById("tip-point-chosen");
    fetch(element.dataset.geoUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (geo) {
      echarts.registerMap("province", geo);
      var chart = echarts.init(element, null, { renderer: "canvas" });
      var point = function () { return lon.value && lat.value ? [[Number(lon.value), Number(lat.value)]] : []; };
      var draw = function () {
        chart.setOption({
          geo: { map: "province", roam: true, label: { show: true, fontSize: 10 }, itemStyle: { areaColor: "#eef3f8", borderColor: "#8aa4bf" } },
          series: [{ type: "scatter", coordinateSystem: "geo", symbolSize: 14, itemStyle: { color: "#d7301f" }, data: point() }]
        });
      };
      draw();
      chart.getZr().on("click", function (event) {
        var at = chart.convertFromPixel({ geoIndex: 0 }, [event.offsetX, event.offsetY]);
        if (!at) { return; }
        lon.value = at[0].toFixed(5);
        lat.value = at[1].toFixed(5);
        shown.textContent = lon.value + ", " + lat.value;
        draw();
      });
      window.addEventListener("resize", function () { chart.resize(); });
    }).catch(function (error) { element.textContent = String(error); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var pointMap = document.getElementById("tip-point-map");
    if (pointMap) { pickPoint(pointMap); }
    var alarmLive = document.getElementById("alarm-live");
    if (alarmLive) { followAlarms(alarmLive); watchCriticalAlarms(alarmLive); }
    var sensorChart = document.getElementById("sensor-chart");
    if (sensorChart) { drawSensorChart(sensorChart); }
    document.querySelectorAll(".map[data-map-url]").forEach(drawMap);
  });
})();
