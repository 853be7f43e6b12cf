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
      var data = counts.map(function (c) { return { name: c.name, value: c.count, code: c.code }; });
      var max = data.reduce(function (m, d) { return Math.max(m, d.value); }, 1);
      var chart = echarts.init(element, null, { renderer: "canvas" });
      chart.setOption({
        tooltip: { trigger: "item", formatter: "{b}: {c}" },
        visualMap: { min: 0, max: max, left: "left", bottom: 10, calculable: true, inRange: { color: ["#e0f3f8", "#4575b4"] } },
        series: [{ name: element.dataset.seriesName, type: "map", map: "province", roam: false, label: { show: true, fontSize: 11 }, data: data }]
      });
      chart.on("click", function (params) {
        if (params.data && params.data.code) { window.location.href = "/enterprises?region=" + encodeURIComponent(params.data.code); }
      });
      window.addEventListener("resize", function () { chart.resize(); });
    }).catch(function (error) {
      element.textContent = String(error);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var map = document.getElementById("region-map");
    if (map) { drawMap(map); }
  });
})();
