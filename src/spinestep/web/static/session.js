// spinestep guided session: one timed repetition at a time (hold countdown, optional beep).
// Progressive enhancement: without JavaScript the form still works (type the reps done).
// The follow-along mode (follow-along.js) paces whole sets; it and the camera coach
// count into the same field and tell this script with a "spinestep:reps" event.
(function () {
  "use strict";
  var root = document.getElementById("rep-trainer");
  if (!root) { return; }
  var target = parseInt(root.getAttribute("data-reps"), 10) || 10;
  // The server gives the countdown (services.instructions.countdown_hold_s): the same
  // hold as the terminal coach and the instructions.
  var holdS = parseFloat(root.getAttribute("data-hold-s"));
  if (!(holdS >= 0)) { holdS = 2; }
  var repsField = document.getElementById("reps");
  var countEl = document.getElementById("rep-count");
  var clockEl = document.getElementById("hold-clock");
  var statusEl = document.getElementById("rep-status");
  var startBtn = document.getElementById("rep-start");
  var soundBox = document.getElementById("sound-cue");
  var done = 0;
  var running = false;
  var audio = null;

  root.hidden = false;

  function beep(freq, ms) {
    if (!soundBox || !soundBox.checked) { return; }
    try {
      if (!audio) { audio = new (window.AudioContext || window.webkitAudioContext)(); }
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.value = 0.15;
      osc.connect(gain); gain.connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + ms / 1000);
    } catch (e) { soundBox.checked = false; }
  }

  function say(text) { statusEl.textContent = text; }

  function finishRep() {
    done += 1;
    countEl.textContent = String(done);
    if (repsField) { repsField.value = String(done); }
    beep(660, 180);
    running = false;
    delete root.dataset.manual;
    clockEl.textContent = "";
    if (done >= target) {
      say("All " + target + " repetitions done. Well done — continue below.");
      startBtn.disabled = true;
    } else {
      say("Repetition " + done + " of " + target + " done. Return to the start position, then press the button for the next one.");
      startBtn.textContent = "Start repetition " + (done + 1);
      startBtn.focus();
    }
  }

  // The camera coach (camera-coach.js) counts into the same field: take its count over,
  // so that counting on by hand after the camera stops goes on from there.
  if (repsField) {
    repsField.addEventListener("spinestep:reps", function (event) {
      var counted = parseInt(event.detail, 10);
      if (!(counted >= 0)) { return; }
      done = counted;
      running = false;
      delete root.dataset.manual;
      countEl.textContent = String(done);
      clockEl.textContent = "";
      startBtn.disabled = done >= target;
      startBtn.textContent = "Start repetition " + (done + 1);
    });
  }

  startBtn.addEventListener("click", function () {
    if (running || done >= target) { return; }
    // Counted by hand, typed into the field: go on from there.
    var typed = repsField ? parseInt(repsField.value, 10) : NaN;
    if (typed >= 0 && typed !== done) { done = typed; countEl.textContent = String(done); }
    if (done >= target) { return; }
    running = true;
    root.dataset.manual = "running";
    var remaining = Math.round(holdS * 10) / 10;
    say("Move into the position and hold.");
    beep(440, 120);
    var started = performance.now();
    function tick() {
      if (!running) { return; }  // the camera took over the count meanwhile
      var left = holdS - (performance.now() - started) / 1000;
      if (left <= 0) { finishRep(); return; }
      clockEl.textContent = left.toFixed(1) + " s";
      window.setTimeout(tick, 100);
    }
    clockEl.textContent = remaining.toFixed(1) + " s";
    window.setTimeout(tick, 100);
  });
})();
