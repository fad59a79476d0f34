(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("board-data").textContent);
  var cards = Array.prototype.slice.call(document.querySelectorAll(".card"));
  var byShot = {};
  cards.forEach(function (c) { byShot[c.dataset.shot] = c; });
  var video = document.getElementById("cut");
  var playhead = document.getElementById("playhead");
  var follow = document.getElementById("follow");
  var nowLine = document.getElementById("now");

  // ---- copy buttons
  function flash(btn, text) {
    var old = btn.dataset.label || btn.textContent;
    btn.dataset.label = old;
    btn.textContent = text;
    btn.classList.add("done");
    setTimeout(function () { btn.textContent = old; btn.classList.remove("done"); }, 1400);
  }
  function fallbackCopy(text) {
    var ta = document.createElement("textarea");
    ta.value = text;
    ta.setAttribute("readonly", "");
    ta.style.position = "fixed";
    ta.style.opacity = "0";
    document.body.appendChild(ta);
    ta.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(ta);
    return ok;
  }
  function copy(btn) {
    var src = document.getElementById(btn.dataset.copy);
    if (!src) return;
    var text = src.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { flash(btn, "Copied"); },
        function () { flash(btn, fallbackCopy(text) ? "Copied" : "Select and copy"); });
    } else {
      flash(btn, fallbackCopy(text) ? "Copied" : "Select and copy");
    }
  }
  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("button.copy");
    if (btn) copy(btn);
  });

  // ---- keyboard: j/k next/previous shot, p play/pause, c copy, t timeline
  function current() {
    var el = document.activeElement && document.activeElement.closest && document.activeElement.closest(".card");
    if (el) return cards.indexOf(el);
    var h = location.hash.replace(/^#shot-/, "");
    return byShot[h] ? cards.indexOf(byShot[h]) : -1;
  }
  function go(i) {
    if (!cards.length) return;
    i = Math.max(0, Math.min(cards.length - 1, i));
    cards[i].focus({ preventScroll: true });
    cards[i].scrollIntoView({ block: "start", behavior: "smooth" });
    if (history.replaceState) history.replaceState(null, "", "#shot-" + cards[i].dataset.shot);
  }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea" || tag === "video") return;
    var k = e.key;
    if (k === "j" || (k === "ArrowDown" && e.target.classList.contains("card"))) { go(current() + 1); e.preventDefault(); }
    else if (k === "k" || (k === "ArrowUp" && e.target.classList.contains("card"))) { go(current() - 1); e.preventDefault(); }
    else if (k === "Home" && e.target.classList.contains("card")) { go(0); e.preventDefault(); }
    else if (k === "End" && e.target.classList.contains("card")) { go(cards.length - 1); e.preventDefault(); }
    else if (k === "p" && video) { if (video.paused) video.play(); else video.pause(); e.preventDefault(); }
    else if (k === "c") {
      var i = current();
      var btn = i >= 0 ? cards[i].querySelector("button.copy") : null;
      if (btn) { copy(btn); e.preventDefault(); }
    } else if (k === "t") {
      var first = document.querySelector(".tl-shot.now") || document.querySelector(".tl-shot");
      if (first) { first.focus(); e.preventDefault(); }
    }
  });
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest(".tl-shot");
    if (!a) return;
    var card = byShot[a.dataset.shot];
    if (!card) return;
    e.preventDefault();
    go(cards.indexOf(card));
    if (video) {
      var s = parseFloat(card.dataset.start);
      video.currentTime = s + data.preroll;
    }
  });

  // ---- the player: the playhead follows the cut, the cards follow the playhead
  var playing = null;
  function place() {
    if (!video || !playhead) return;
    var t = video.currentTime - data.preroll;
    if (!(t >= 0 && t <= data.duration)) { playhead.hidden = true; return; }
    playhead.hidden = false;
    playhead.style.left = (100 * t / data.duration) + "%";
    var now = null;
    for (var i = 0; i < data.shots.length; i++) {
      if (t >= data.shots[i].start && t < data.shots[i].end) { now = data.shots[i].id; break; }
    }
    if (now !== playing) {
      if (playing && byShot[playing]) byShot[playing].classList.remove("playing");
      document.querySelectorAll(".tl-shot.now").forEach(function (x) { x.classList.remove("now"); });
      playing = now;
      if (now && byShot[now]) {
        byShot[now].classList.add("playing");
        var framing = byShot[now].querySelector(".framing");
        if (nowLine) nowLine.textContent = "Now: " + now + (framing ? " · " + framing.textContent : "");
        var tl = document.querySelector('.tl-shot[data-shot="' + now + '"]');
        if (tl) tl.classList.add("now");
        if (follow && follow.checked && !video.paused) byShot[now].scrollIntoView({ block: "nearest", behavior: "smooth" });
      }
    }
  }
  if (video) {
    ["timeupdate", "seeked", "loadedmetadata"].forEach(function (ev) { video.addEventListener(ev, place); });
    var tick = function () { place(); if (!video.paused) requestAnimationFrame(tick); };
    video.addEventListener("play", function () { requestAnimationFrame(tick); });
    var choice = document.getElementById("cut-choice");
    if (choice) choice.addEventListener("change", function () {
      var opt = choice.options[choice.selectedIndex];
      video.src = opt.value;
      document.getElementById("cut-older").hidden = opt.dataset.older !== "1";
    });
    var tlEl = document.getElementById("tl");
    tlEl.addEventListener("click", function (e) {
      if (e.target.closest(".tl-shot")) return;
      var r = tlEl.getBoundingClientRect();
      video.currentTime = data.preroll + data.duration * (e.clientX - r.left) / r.width;
    });
  }

  // ---- served: choose takes, follow film.yaml
  if (!data.served) return;
  var KEY = "filmc-board:" + location.pathname;
  try {
    var saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
    if (saved) {
      sessionStorage.removeItem(KEY);
      window.scrollTo(0, saved.y);
      if (saved.shot && byShot[saved.shot]) byShot[saved.shot].focus({ preventScroll: true });
    }
  } catch (e) { /* storage off: nothing to restore */ }
  function reload() {
    try {
      var c = document.activeElement && document.activeElement.closest && document.activeElement.closest(".card");
      sessionStorage.setItem(KEY, JSON.stringify({ y: window.scrollY, shot: c ? c.dataset.shot : null }));
    } catch (e) { /* ignore */ }
    location.reload();
  }
  function status(card, text, good) {
    var el = card.querySelector(".takes .status");
    el.textContent = text;
    el.className = "status " + (good ? "good" : "bad");
  }
  function use(btn, force) {
    var card = byShot[btn.dataset.shot];
    btn.disabled = true;
    status(card, "writing take: " + btn.dataset.take + " …", true);
    fetch("/api/select", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Filmc-Token": data.token },
      body: JSON.stringify({ shot: btn.dataset.shot, take: btn.dataset.take, film: data.film, force: !!force })
    }).then(function (r) { return r.json().then(function (j) { return [r.status, j]; }); }).then(function (res) {
      var j = res[1];
      if (res[0] === 200 && j.ok) {
        status(card, j.message, true);
        setTimeout(reload, 300);
        return;
      }
      btn.disabled = false;
      status(card, j.message || "refused", false);
      if (j.code === "C525" && !force) {
        var again = document.createElement("button");
        again.type = "button";
        again.className = "use force";
        again.textContent = "Use it anyway";
        again.dataset.shot = btn.dataset.shot;
        again.dataset.take = btn.dataset.take;
        again.dataset.force = "1";
        btn.parentNode.appendChild(again);
      }
    }).catch(function () { btn.disabled = false; status(card, "the board's server does not answer", false); });
  }
  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("button.use");
    if (btn) use(btn, btn.dataset.force === "1");
  });
  var live = document.getElementById("live");
  function poll(delay) {
    setTimeout(function () {
      fetch("/api/events?v=" + encodeURIComponent(data.version), { cache: "no-store" })
        .then(function (r) { return r.json(); })
        .then(function (j) {
          if (live) { live.classList.remove("off"); live.textContent = "live · follows film.yaml"; }
          if (j.version !== data.version) { reload(); return; }
          poll(0);
        })
        .catch(function () {
          if (live) { live.classList.add("off"); live.textContent = "server stopped · not following film.yaml"; }
          poll(2000);
        });
    }, delay);
  }
  poll(0);
})();
