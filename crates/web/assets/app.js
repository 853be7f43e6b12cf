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

  // The platform's times are China's (UTC+8, no daylight saving), on the page, in the files and
  // on the charts, wherever the browser is: a chart draws its times shifted by this much, in UTC.
  var CHINA_OFFSET_MS = 8 * 3600 * 1000;
  function chinaTimeText(ms) {
    return new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 19).replace("T", " ");
  }

  // A sensor's chosen span: each period's mean as a line within its min–max band, with the
  // alarm thresholds as dashed lines.
  function drawSensorChart(element) {
    if (!window.echarts) { return; }
    var labels = (element.dataset.labels || "min|max|avg").split("|");
    fetch(element.dataset.historyUrl, { credentials: "same-origin" }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) { throw new Error(body.message || r.status); }
        return body;
      });
    }).then(function (history) {
      var buckets = history.buckets || [];
      if (buckets.length === 0) {
        element.classList.add("chart-empty");
        element.textContent = element.dataset.empty || "";
        return;
      }
      var lines = [];
      [["high-high", "HH", "#d7301f"], ["high", "H", "#fc8d59"], ["low", "L", "#fc8d59"], ["low-low", "LL", "#d7301f"]].forEach(function (t) {
        var key = t[0].replace(/-([a-z])/g, function (_, c) { return c.toUpperCase(); });
        var value = element.dataset[key];
        if (value !== undefined && value !== "") { lines.push({ yAxis: Number(value), name: t[1], lineStyle: { color: t[2], type: "dashed" }, label: { formatter: t[1] } }); }
      });
      var unit = element.dataset.unit || "";
      var chart = echarts.init(element, null, { renderer: "canvas" });
      var at = function (ms) { return ms + CHINA_OFFSET_MS; };
      chart.setOption({
        useUTC: true,
        // The band is drawn as min plus (max - min); the tooltip reads the bucket itself.
        tooltip: {
          trigger: "axis",
          formatter: function (params) {
            // The tooltip is HTML: the unit (typed by an enterprise) and the labels are escaped.
            var b = buckets[params[0].dataIndex], html = echarts.format.encodeHTML, u = html(unit);
            return html(chinaTimeText(b.start_ms)) + "<br>" + html(labels[0]) + " " + b.min + " " + u + "<br>" + html(labels[1]) + " " + b.max + " " + u + "<br>" + html(labels[2]) + " " + b.avg.toFixed(3) + " " + u;
          }
        },
        grid: { left: 48, right: 24, top: 24, bottom: 32 },
        // The whole span is shown, readings or not, so that a gap reads as a gap.
        xAxis: { type: "time", min: at(Number(element.dataset.from)), max: at(Number(element.dataset.to)), axisLabel: { hideOverlap: true } },
        yAxis: { type: "value", name: unit, scale: true },
        series: [
          { name: labels[0], type: "line", stack: "band", symbol: "none", lineStyle: { opacity: 0 }, data: buckets.map(function (b) { return [at(b.start_ms), b.min]; }) },
          { name: labels[1], type: "line", stack: "band", symbol: "none", lineStyle: { opacity: 0 }, areaStyle: { color: "#c6dbef" }, data: buckets.map(function (b) { return [at(b.start_ms), b.max - b.min]; }) },
          { name: labels[2], type: "line", symbol: "none", lineStyle: { color: "#08519c" }, data: buckets.map(function (b) { return [at(b.start_ms), b.avg]; }), markLine: { symbol: "none", data: lines } }
        ]
      });
      window.addEventListener("resize", function () { chart.resize(); });
    }).catch(function (error) {
      element.textContent = String(error.message || error);
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


  // A field check (checklists/checklist_run.html): progress through the items, a note and photos
  // for each failed item (scaled down on the device before sending), the device's position and
  // time, the signature drawn on the screen, a draft kept in the browser, and a submission kept
  // on the device (IndexedDB) when there is no connection, sent when the connection returns.
  var PENDING_DB = "anwei-pending";
  function pendingStore(mode, work) {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var opening = indexedDB.open(PENDING_DB, 1);
      opening.onupgradeneeded = function () { opening.result.createObjectStore("checks", { keyPath: "id" }); };
      opening.onerror = function () { reject(opening.error); };
      opening.onsuccess = function () {
        var db = opening.result;
        var tx = db.transaction("checks", mode);
        var result = work(tx.objectStore("checks"));
        tx.oncomplete = function () { db.close(); resolve(result && result.result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      };
    });
  }
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }
  // Sends a submission; resolves with the page it led to, or null when it was refused.
  function postCheck(url, entries) {
    var data = new FormData();
    entries.forEach(function (entry) {
      if (entry[0] === "_csrf") { data.append("_csrf", csrfToken()); }
      else if (entry[2]) { data.append(entry[0], entry[1], entry[2]); }
      else { data.append(entry[0], entry[1]); }
    });
    return fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { "X-CSRF-Token": csrfToken() } });
  }
  function recorded(response) {
    return response.redirected && /^\/checks\/\d+$/.test(new URL(response.url).pathname);
  }
  // What is kept on the device is encrypted (AES-GCM) with the signed-in person's device key,
  // which only their own pages carry: another person signed in on the same phone cannot read it.
  // Without WebCrypto (a page not served over HTTPS) or a key, it is kept as it is.
  function deviceKey() {
    var hex = document.body.dataset.deviceKey;
    if (!hex || !window.crypto || !crypto.subtle) { return Promise.resolve(null); }
    var bytes = new Uint8Array(hex.match(/../g).map(function (h) { return parseInt(h, 16); }));
    return crypto.subtle.importKey("raw", bytes, "AES-GCM", false, ["encrypt", "decrypt"]);
  }
  function sealEntries(entries) {
    return deviceKey().then(function (key) {
      if (!key) { return { sealed: false, entries: entries }; }
      return Promise.all(entries.map(function (entry) {
        var bytes = entry[2] ? entry[1].arrayBuffer() : Promise.resolve(new TextEncoder().encode(String(entry[1])));
        return bytes.then(function (plain) {
          var iv = crypto.getRandomValues(new Uint8Array(12));
          return crypto.subtle.encrypt({ name: "AES-GCM", iv: iv }, key, plain).then(function (cipher) {
            return { name: entry[0], iv: iv, data: cipher, file: entry[2] || null, type: entry[2] ? entry[1].type : null };
          });
        });
      })).then(function (sealed) { return { sealed: true, entries: sealed }; });
    });
  }
  function openEntries(pending) {
    if (!pending.sealed) { return Promise.resolve(pending.entries); }
    return deviceKey().then(function (key) {
      if (!key) { throw new Error("no device key"); }
      return Promise.all(pending.entries.map(function (entry) {
        return crypto.subtle.decrypt({ name: "AES-GCM", iv: entry.iv }, key, entry.data).then(function (plain) {
          return entry.file ? [entry.name, new Blob([plain], { type: entry.type }), entry.file] : [entry.name, new TextDecoder().decode(plain)];
        });
      }));
    });
  }
  var sendingPending = false;
  function sendPending() {
    if (sendingPending || !window.indexedDB || !navigator.onLine) { return; }
    sendingPending = true;
    var user = document.body.dataset.user;
    pendingStore("readonly", function (store) { return store.getAll(); }).then(function (kept) {
      // Only what the signed-in person kept is sent while they are signed in.
      var all = (kept || []).filter(function (pending) { return user && pending.user === user; });
      var banner = document.getElementById("pending-checks");
      if (!all.length) { if (banner) { banner.remove(); } return null; }
      if (!banner) {
        banner = document.createElement("p");
        banner.id = "pending-checks";
        banner.className = "notice";
        banner.setAttribute("role", "status");
        banner.textContent = document.body.dataset.msgPending + " (" + all.length + ")";
        var main = document.querySelector("main");
        if (main) { main.insertBefore(banner, main.firstChild); }
      }
      var unopened = [];
      return all.reduce(function (previous, pending) {
        return previous.then(function () {
          return openEntries(pending).then(function (entries) { return postCheck(pending.url, entries); }, function () {
            // Kept under a key this person no longer has (the server's key was replaced): said,
            // not retried in silence, and kept (the old key may yet be restored).
            unopened.push({ id: pending.id, kept: chinaTimeText(pending.kept_at || 0) });
            return null;
          }).then(function (response) {
            if (!response) { return null; }
            if (response.status === 422 || response.status === 409) {
              // Refused for what it holds: sending it again would be refused again.
              return response.text().then(function (html) {
                var page = new DOMParser().parseFromString(html, "text/html");
                var errors = page.getElementById("check-errors");
                var notice = document.createElement("p");
                notice.className = "error";
                notice.setAttribute("role", "alert");
                notice.textContent = document.body.dataset.msgPendingRefused + " " + (errors ? errors.textContent.trim() : response.status);
                banner.after(notice);
                return pendingStore("readwrite", function (store) { return store.delete(pending.id); });
              });
            }
            if (!recorded(response)) { return null; }
            return pendingStore("readwrite", function (store) { return store.delete(pending.id); }).then(function () {
              var form = document.querySelector("form[data-field-check]");
              if (form && form.elements.client_ref.value === pending.id) {
                localStorage.removeItem("anwei-draft:" + (document.body.dataset.user || "") + ":" + form.dataset.draftKey);
                window.location.assign(response.url);
              }
            });
          }, function () { return null; });
        });
      }, Promise.resolve()).then(function () {
        if (!unopened.length || document.getElementById("pending-unopened")) { return; }
        var notice = document.createElement("p");
        notice.id = "pending-unopened";
        notice.className = "error";
        notice.setAttribute("role", "alert");
        notice.textContent = document.body.dataset.msgPendingUnopened + " " + unopened.map(function (u) { return u.kept; }).join(", ") + " ";
        // They cannot be sent by anyone: their author may remove them from the device.
        var discard = document.createElement("button");
        discard.type = "button";
        discard.id = "pending-discard";
        discard.textContent = document.body.dataset.msgPendingDiscard;
        discard.addEventListener("click", function () {
          pendingStore("readwrite", function (store) { unopened.forEach(function (u) { store.delete(u.id); }); }).then(function () {
            notice.remove();
            banner.remove();
            sendPending();
          });
        });
        notice.appendChild(discard);
        banner.after(notice);
      });
    }).catch(function () { return null; }).then(function () { sendingPending = false; });
  }
  window.addEventListener("online", sendPending);

  // A photo scaled to at most 1600 pixels a side as a JPEG, with a thumbnail (data URL: the page
  // allows no blob: images). A file the browser cannot decode is sent as it is.
  function shrinkPhoto(file) {
    if (!window.createImageBitmap) { return Promise.resolve({ blob: file, thumb: "" }); }
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      var thumb = document.createElement("canvas");
      var t = 96 / Math.max(bitmap.width, bitmap.height);
      thumb.width = Math.max(1, Math.round(bitmap.width * t));
      thumb.height = Math.max(1, Math.round(bitmap.height * t));
      thumb.getContext("2d").drawImage(bitmap, 0, 0, thumb.width, thumb.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) { resolve({ blob: blob || file, thumb: thumb.toDataURL("image/jpeg", 0.8) }); }, "image/jpeg", 0.85);
      });
    }).catch(function () { return { blob: file, thumb: "" }; });
  }

  function fieldCheck(form) {
    var msg = function (name) { return form.dataset["msg" + name] || ""; };
    var items = Array.prototype.slice.call(form.querySelectorAll("[data-item]"));
    var progressText = document.getElementById("check-progress-text");
    var progressBar = document.getElementById("check-progress");
    var positionStatus = document.getElementById("check-position");
    var status = document.getElementById("check-offline");
    // A draft is its author's: another person on the same phone does not get it back, and
    // signing out clears it (see `forgetDrafts`).
    var draftKey = "anwei-draft:" + (document.body.dataset.user || "") + ":" + form.dataset.draftKey;
    var photos = {};
    var answered = function (item) { return !!item.querySelector('input[type="radio"]:checked'); };

    function update() {
      var done = items.filter(answered).length;
      progressText.textContent = msg("Answered") + " " + done + " / " + items.length;
      progressBar.value = done;
      items.forEach(function (item) {
        var failed = !!item.querySelector('input[value="fail"]:checked');
        item.classList.toggle("failed", failed);
        item.querySelector(".fail-detail").hidden = !failed;
      });
    }
    function markStarted() {
      if (!form.elements.started_at.value) { form.elements.started_at.value = String(Date.now()); }
    }
    function saveDraft() {
      // The submission's reference and start are not kept: a new check gets its own.
      var draft = { signed_by: form.elements.signed_by.value, answers: {} };
      items.forEach(function (item) {
        var id = item.dataset.item;
        var chosen = item.querySelector('input[type="radio"]:checked');
        draft.answers[id] = [chosen ? chosen.value : "", form.elements["note_" + id].value];
      });
      try { localStorage.setItem(draftKey, JSON.stringify(draft)); } catch (e) { /* storage full or denied */ }
    }
    function restoreDraft() {
      if (form.dataset.fresh !== "1") { return; }
      var draft = null;
      try { draft = JSON.parse(localStorage.getItem(draftKey) || "null"); } catch (e) { draft = null; }
      if (!draft) { return; }
      form.elements.signed_by.value = draft.signed_by || "";
      Object.keys(draft.answers || {}).forEach(function (id) {
        var answer = draft.answers[id];
        var radio = form.querySelector('input[name="item_' + id + '"][value="' + answer[0] + '"]');
        if (radio) { radio.checked = true; }
        if (form.elements["note_" + id]) { form.elements["note_" + id].value = answer[1] || ""; }
      });
    }
    function showPhotos(id, input) {
      var box = input.closest(".fail-detail").querySelector(".photo-previews");
      box.textContent = "";
      (photos[id] || []).forEach(function (entry, index) {
        var figure = document.createElement("figure");
        var img = document.createElement("img");
        img.alt = entry.name;
        if (entry.thumb) { img.src = entry.thumb; }
        var remove = document.createElement("button");
        remove.type = "button";
        remove.textContent = "×";
        remove.title = msg("Remove");
        remove.setAttribute("aria-label", msg("Remove"));
        remove.addEventListener("click", function () { photos[id].splice(index, 1); showPhotos(id, input); });
        figure.appendChild(img);
        figure.appendChild(remove);
        box.appendChild(figure);
      });
    }
    form.querySelectorAll('input[type="file"][name^="photo_"]').forEach(function (input) {
      input.addEventListener("change", function () {
        var id = input.name.slice("photo_".length);
        var list = photos[id] || (photos[id] = []);
        var max = Number(input.dataset.max || 3);
        Array.prototype.slice.call(input.files).forEach(function (file) {
          if (list.length >= max) { return; }
          var entry = { name: file.name, blob: file, thumb: "", ready: null };
          entry.ready = shrinkPhoto(file).then(function (shrunk) { entry.blob = shrunk.blob; entry.thumb = shrunk.thumb; showPhotos(id, input); });
          list.push(entry);
        });
        input.value = "";
        markStarted();
        showPhotos(id, input);
      });
    });

    // The signature pad: drawn with a finger, a pen or the mouse on a white ground.
    var pad = document.getElementById("signature-pad");
    var ink = pad.getContext("2d");
    var drawing = false;
    var signed = false;
    function clearPad() {
      ink.fillStyle = "#fff";
      ink.fillRect(0, 0, pad.width, pad.height);
      signed = false;
      form.elements.signature_data.value = "";
    }
    function at(event) {
      var box = pad.getBoundingClientRect();
      return [(event.clientX - box.left) * pad.width / box.width, (event.clientY - box.top) * pad.height / box.height];
    }
    pad.addEventListener("pointerdown", function (event) {
      drawing = true;
      pad.setPointerCapture(event.pointerId);
      var p = at(event);
      ink.beginPath();
      ink.moveTo(p[0], p[1]);
      markStarted();
    });
    pad.addEventListener("pointermove", function (event) {
      if (!drawing) { return; }
      var p = at(event);
      ink.lineWidth = 3;
      ink.lineCap = "round";
      ink.strokeStyle = "#111";
      ink.lineTo(p[0], p[1]);
      ink.stroke();
      signed = true;
    });
    function endStroke() {
      drawing = false;
      if (signed) { form.elements.signature_data.value = pad.toDataURL("image/png"); }
    }
    pad.addEventListener("pointerup", endStroke);
    pad.addEventListener("pointercancel", endStroke);
    document.getElementById("signature-clear").addEventListener("click", clearPad);
    clearPad();
    // A refusal to sign and a signature exclude each other.
    var refusal = form.elements.signature_refused;
    if (refusal) {
      refusal.addEventListener("change", function () {
        if (refusal.checked) { clearPad(); }
        pad.classList.toggle("disabled", refusal.checked);
      });
      pad.addEventListener("pointerdown", function () {
        if (refusal.checked) { refusal.checked = false; pad.classList.remove("disabled"); }
      });
    }

    if (navigator.geolocation) {
      navigator.geolocation.getCurrentPosition(function (position) {
        var c = position.coords;
        form.elements.latitude.value = String(c.latitude);
        form.elements.longitude.value = String(c.longitude);
        form.elements.accuracy_m.value = String(Math.round(c.accuracy));
        positionStatus.textContent = msg("Located") + ": " + c.latitude.toFixed(6) + ", " + c.longitude.toFixed(6) + " (±" + Math.round(c.accuracy) + " m)";
      }, function () { positionStatus.textContent = msg("NoPosition"); }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
    } else {
      positionStatus.textContent = msg("NoPosition");
    }

    restoreDraft();
    update();
    form.addEventListener("change", function () { markStarted(); update(); saveDraft(); });
    form.addEventListener("input", saveDraft);

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var refused = form.elements.signature_refused && form.elements.signature_refused.checked;
      if (form.elements.kind.value !== "self_check" && !form.elements.signature_data.value && !refused) {
        status.textContent = msg("SignFirst");
        pad.scrollIntoView({ block: "center" });
        return;
      }
      markStarted();
      form.elements.finished_at.value = String(Date.now());
      var waiting = [];
      Object.keys(photos).forEach(function (id) { photos[id].forEach(function (entry) { waiting.push(entry.ready); }); });
      status.textContent = msg("Sending");
      Promise.all(waiting).then(function () {
        var entries = [];
        new FormData(form).forEach(function (value, name) {
          if (name.indexOf("photo_") !== 0) { entries.push([name, value]); }
        });
        Object.keys(photos).forEach(function (id) {
          photos[id].forEach(function (entry, n) { entries.push(["photo_" + id, entry.blob, "item-" + id + "-" + (n + 1) + ".jpg"]); });
        });
        return postCheck(form.action, entries).then(function (response) {
          if (recorded(response)) {
            localStorage.removeItem(draftKey);
            window.location.assign(response.url);
            return;
          }
          return response.text().then(function (html) {
            // Refused: the errors are shown above the form, which keeps its answers and photos.
            var page = new DOMParser().parseFromString(html, "text/html");
            var errors = page.getElementById("check-errors") || page.querySelector("main");
            var here = document.getElementById("check-errors");
            here.innerHTML = errors ? errors.innerHTML : "";
            var again = here.querySelector(".error p");
            if (again) { again.remove(); }
            status.textContent = "";
            here.scrollIntoView();
          });
        }, function () {
          // No connection: the submission is kept on the device and sent when it returns.
          return sealEntries(entries).then(function (kept) {
            return pendingStore("readwrite", function (store) {
              return store.put({ id: form.elements.client_ref.value, user: document.body.dataset.user, url: form.action, sealed: kept.sealed, entries: kept.entries, kept_at: Date.now() });
            });
          }).then(function () {
            localStorage.removeItem(draftKey);
            status.textContent = msg("SavedOffline");
          }, function () { status.textContent = msg("NotKept"); });
        });
      });
    });
  }

  // Signing out clears the drafts kept in this browser (a check kept for want of a connection
  // stays, encrypted, to be sent when its author signs in again).
  function forgetDrafts() {
    try {
      Object.keys(localStorage).filter(function (key) { return key.indexOf("anwei-draft:") === 0; }).forEach(function (key) { localStorage.removeItem(key); });
    } catch (e) { /* storage denied */ }
  }

  document.addEventListener("DOMContentLoaded", function () {
    // The scheme form adds up its points as they are typed.
    var schemeTotal = document.getElementById("scheme-total");
    if (schemeTotal) {
      document.getElementById("scheme-form").addEventListener("input", function () {
        var total = 0;
        document.querySelectorAll(".scheme-points").forEach(function (input) {
          var value = parseFloat(input.value);
          if (isFinite(value)) { total += value; }
        });
        schemeTotal.textContent = String(Math.round(total * 100) / 100);
      });
    }
    document.querySelectorAll('form[action="/logout"]').forEach(function (logout) { logout.addEventListener("submit", forgetDrafts); });
    var fieldCheckForm = document.querySelector("form[data-field-check]");
    if (fieldCheckForm) { fieldCheck(fieldCheckForm); }
    sendPending();
    var pointMap = document.getElementById("tip-point-map");
    if (pointMap) { pickPoint(pointMap); }
    var alarmLive = document.getElementById("alarm-live");
    if (alarmLive) { followAlarms(alarmLive); watchCriticalAlarms(alarmLive); }
    var sensorChart = document.getElementById("sensor-chart");
    if (sensorChart) { drawSensorChart(sensorChart); }
    document.querySelectorAll(".map[data-map-url]").forEach(drawMap);
  });
})();
