// spinestep guided session: the rest before "How bad is your pain now, after resting?".
// Progressive enhancement: without JavaScript every question shows at once. With it, the
// questions after the rest stay hidden while a countdown runs (the server gives its
// length); "Skip the rest" or the end of the countdown shows them.
(function () {
  "use strict";
  var root = document.getElementById("rest-timer");
  var after = document.getElementById("after-rest");
  if (!root || !after) { return; }
  var restS = parseInt(root.getAttribute("data-rest-s"), 10);
  if (!(restS > 0)) { return; }
  var clockEl = document.getElementById("rest-clock");
  var statusEl = document.getElementById("rest-status");
  var skipBtn = document.getElementById("rest-skip");
  var started = performance.now();
  var timer = null;

  function clock(leftS) {
    var whole = Math.max(0, Math.ceil(leftS));
    var minutes = Math.floor(whole / 60);
    var seconds = whole % 60;
    return minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
  }

  function finish(text) {
    if (timer !== null) { window.clearTimeout(timer); timer = null; }
    root.hidden = true;
    after.hidden = false;
    statusEl.textContent = text;
    var first = after.querySelector("input");
    if (first) { first.focus(); }
  }

  function tick() {
    var left = restS - (performance.now() - started) / 1000;
    if (left <= 0) { finish("Rest over."); return; }
    clockEl.textContent = clock(left);
    timer = window.setTimeout(tick, 250);
  }

  root.hidden = false;
  after.hidden = true;
  clockEl.textContent = clock(restS);
  statusEl.textContent = "Resting: the questions follow when the clock reaches 0:00.";
  skipBtn.addEventListener("click", function () { finish("Rest skipped."); });
  timer = window.setTimeout(tick, 250);
})();
