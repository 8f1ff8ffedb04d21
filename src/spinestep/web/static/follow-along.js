// spinestep guided session: the animated demonstration and the follow-along mode.
//
// Progressive enhancement. Without JavaScript the page shows each key position drawn
// still, with words, and the patient types the repetitions done. With it:
// - the figure moves through one repetition at the patient's dose (move, hold for the
//   dose's hold, move back, rest), again and again; when the patient prefers reduced
//   motion the still drawings stay, and the one for the current moment is marked;
// - "Follow along" paces the set: a cue for each phase ("Bend forward…", "Hold 2",
//   "1", "Release"), tones (Web Audio) and spoken words (Web Speech, when the device
//   has a voice), the "Repetitions done" field counting on by itself. Pause, "Skip this
//   one", "Skip the rest" and the page's "Stop now" work at every moment.
// The camera coach (camera-coach.js) counts into the same field; only one of the two
// counts at a time.

import { DemoFigure } from "./demo/figure.js";
import { Pacer, fallbackPhases } from "./demo/pacer.js";

const TICK_MS = 100;
const TONES = { move: 440, hold: 660, return: 880, done: 520 };

function formatSeconds(seconds) {
  if (seconds < 60) { return String(seconds); }
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  return minutes + ":" + (rest < 10 ? "0" : "") + rest;
}

class Voice {
  constructor(box) {
    this.box = box;
    this.audio = null;
    this.synth = "speechSynthesis" in window ? window.speechSynthesis : null;
  }

  get on() { return !this.box || this.box.checked; }

  // Called from the button press that starts following: browsers allow sound from then on.
  unlock() {
    if (!this.on || this.audio) { return; }
    try {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (Context) { this.audio = new Context(); }
    } catch (error) {
      this.audio = null;
    }
  }

  tone(frequency, ms) {
    if (!this.on || !this.audio) { return; }
    try {
      const oscillator = this.audio.createOscillator();
      const gain = this.audio.createGain();
      oscillator.frequency.value = frequency;
      gain.gain.value = 0.15;
      oscillator.connect(gain);
      gain.connect(this.audio.destination);
      oscillator.start();
      oscillator.stop(this.audio.currentTime + ms / 1000);
    } catch (error) {
      this.audio = null;
    }
  }

  // Spoken only when the device has a voice; otherwise the tones and the words on
  // screen are the cues.
  say(words) {
    if (!this.on || !this.synth) { return; }
    if (!this.synth.getVoices().length) { return; }
    this.synth.cancel();
    this.synth.speak(new SpeechSynthesisUtterance(words));
  }

  hush() {
    if (this.synth) { this.synth.cancel(); }
  }
}

class Demonstration {
  constructor(root, demo) {
    this.root = root;
    this.demo = demo;
    this.stills = root.querySelector("#demo-stills");
    this.figure = null;
    this.holder = null;
    this.motion = window.matchMedia("(prefers-reduced-motion: reduce)");
    this.motion.addEventListener("change", () => this.apply());
  }

  get animated() { return this.figure !== null; }

  apply() {
    if (this.motion.matches) { this.still(); } else { this.animate(); }
  }

  animate() {
    if (this.figure) { return; }
    const first = this.stills.querySelector("svg");
    const svg = first.cloneNode(true);
    const labels = this.demo.keyframes.map((keyframe) => keyframe.label).join("; then ");
    svg.setAttribute("aria-label", "Moving drawing of " + this.demo.title + ": " + labels);
    svg.removeAttribute("data-keyframe");
    this.holder = document.createElement("div");
    this.holder.className = "demo-animated";
    this.holder.id = "demo-animated";
    this.holder.appendChild(svg);
    this.stills.hidden = true;
    this.stills.after(this.holder);
    this.figure = new DemoFigure(svg, this.demo);
    this.figure.start();
  }

  still() {
    if (this.figure) { this.figure.cancel(); }
    this.figure = null;
    if (this.holder) { this.holder.remove(); }
    this.holder = null;
    this.stills.hidden = false;
  }

  // Marks the still drawing of the moment (reduced motion): the held position while
  // moving and holding, the start otherwise.
  mark(phase) {
    const frames = this.stills.querySelectorAll(".demo-still");
    const held = phase === "move" || phase === "hold";
    frames.forEach((frame, index) => {
      const current = phase !== null && (held ? index === frames.length - 1 : index === 0);
      frame.classList.toggle("current", current);
    });
  }

  follow(seconds, running) {
    if (!this.figure) { return; }
    this.figure.seek(seconds);
    if (running) { this.figure.play(); } else { this.figure.pause(); }
  }

  loop() {
    if (this.figure) { this.figure.seek(0); this.figure.play(); }
    this.mark(null);
  }
}

class FollowAlong {
  constructor(trainer, demonstration) {
    this.trainer = trainer;
    this.demonstration = demonstration;
    const demo = demonstration ? demonstration.demo : null;
    this.target = parseInt(trainer.dataset.reps, 10) || 10;
    const hold = parseInt(trainer.dataset.holdS, 10);
    this.phases = demo ? demo.repetition : fallbackPhases(hold >= 0 ? hold : 2);
    this.moveCue = demo ? demo.move_cue : "Move into the position";
    this.returnCue = demo ? demo.return_cue : "Back to the start";
    const $ = (id) => document.getElementById(id);
    this.field = $("reps");
    this.cueEl = $("demo-cue");
    this.statusEl = $("rep-status");
    this.clockEl = $("hold-clock");
    this.startButton = $("follow-start");
    this.pauseButton = $("follow-pause");
    this.skipButton = $("follow-skip");
    this.endButton = $("follow-end");
    this.manualButton = $("rep-start");
    this.voice = new Voice($("sound-cue"));
    this.pacer = null;
    this.paused = false;
    this.timer = null;
    this.last = 0;
    this.cameraWasEnabled = null;
  }

  wire() {
    this.startButton.addEventListener("click", () => this.start());
    this.pauseButton.addEventListener("click", () => this.togglePause());
    this.skipButton.addEventListener("click", () => this.skip());
    this.endButton.addEventListener("click", () => this.end("ended"));
    const form = this.field.form;
    // Any submit ("I have finished", "Stop now") ends the pacing; the form goes as it is.
    form.addEventListener("submit", () => this.end(null));
    window.addEventListener("pagehide", () => this.end(null));
    // The camera coach marks the page while it counts: then following is off.
    new MutationObserver(() => this.cameraChanged()).observe(document.body, {
      attributes: true,
      attributeFilter: ["class"],
    });
    this.cameraChanged();
  }

  get active() { return this.pacer !== null; }

  cameraCounting() { return document.body.classList.contains("camera-running"); }

  cameraChanged() {
    const counting = this.cameraCounting();
    if (counting && this.active) { this.end("camera"); }
    this.startButton.disabled = counting;
  }

  count() {
    const value = parseInt(this.field.value, 10);
    return value >= 0 ? value : 0;
  }

  setCount(value) {
    this.field.value = String(value);
    // session.js keeps its own count from this event, as it does for the camera's.
    this.field.dispatchEvent(new CustomEvent("spinestep:reps", { bubbles: true, detail: value }));
  }

  cue(text) {
    this.cueEl.hidden = false;
    this.cueEl.textContent = text;
  }

  controls(on) {
    this.startButton.hidden = on;
    this.manualButton.hidden = on;
    this.pauseButton.hidden = !on;
    this.skipButton.hidden = !on;
    this.endButton.hidden = !on;
    const camera = document.getElementById("camera-use");
    if (camera) {
      if (on) {
        this.cameraWasEnabled = !camera.disabled;
        camera.disabled = true;
      } else if (this.cameraWasEnabled !== null) {
        camera.disabled = !this.cameraWasEnabled;
        this.cameraWasEnabled = null;
      }
    }
  }

  start() {
    if (this.active || this.cameraCounting()) { return; }
    if (this.trainer.dataset.manual === "running") { return; }
    const done = this.count();
    if (done >= this.target) {
      this.statusEl.textContent = "All " + this.target + " repetitions are counted. Change the number if it is wrong, or continue below.";
      return;
    }
    this.voice.unlock();
    this.paused = false;
    this.pauseButton.textContent = "Pause";
    this.controls(true);
    document.getElementById("exercise-panel").scrollIntoView({ block: "start" });
    this.pacer = new Pacer(this.phases, this.target, done + 1, (event) => this.on(event));
    this.last = performance.now();
    this.pacer.begin();
    this.syncFigure();
    this.pauseButton.focus();
    this.schedule();
  }

  schedule() {
    this.timer = window.setTimeout(() => this.tick(), TICK_MS);
  }

  tick() {
    this.timer = null;
    if (!this.active) { return; }
    const now = performance.now();
    const seconds = (now - this.last) / 1000;
    this.last = now;
    if (!this.paused) { this.pacer.advance(seconds); }
    if (this.active) { this.schedule(); }
  }

  on(event) {
    if (event.type === "phase") { this.phase(event); return; }
    if (event.type === "hold") {
      const words = formatSeconds(event.left);
      this.cue("Hold " + words);
      this.clockEl.textContent = "";
      if (event.first) {
        this.voice.tone(TONES.hold, 150);
        this.voice.say("Hold " + words);
      } else if (event.left <= 10 || event.left % 60 === 0) {
        this.voice.say(words);
      }
      return;
    }
    if (event.type === "done") {
      this.setCount(Math.max(this.count(), 0) + 1);
      this.statusEl.textContent = "Repetition " + event.slot + " of " + this.target + " done.";
      return;
    }
    if (event.type === "finished") { this.end("finished"); }
  }

  phase(event) {
    this.syncFigure();
    if (this.demonstration) { this.demonstration.mark(event.phase); }
    if (event.phase === "move") {
      const text = event.last && this.target > 1 ? "Last one. " + this.moveCue : this.moveCue;
      this.cue(this.moveCue + "…");
      this.statusEl.textContent = "Repetition " + event.slot + " of " + this.target + ".";
      this.voice.tone(TONES.move, 120);
      this.voice.say(text);
    } else if (event.phase === "return") {
      this.cue("Release — " + this.returnCue.toLowerCase());
      this.voice.tone(TONES.return, 150);
      this.voice.say("Release. " + this.returnCue);
    } else if (event.phase === "rest") {
      this.cue("Rest");
    }
  }

  syncFigure() {
    if (this.demonstration && this.pacer) {
      this.demonstration.follow(this.pacer.t, !this.paused);
    }
  }

  togglePause() {
    if (!this.active) { return; }
    this.paused = !this.paused;
    this.last = performance.now();
    this.pauseButton.textContent = this.paused ? "Resume" : "Pause";
    if (this.paused) {
      this.voice.hush();
      this.cue("Paused");
      this.statusEl.textContent = "Paused. Press “Resume” to go on; the count so far is kept.";
    } else {
      this.statusEl.textContent = "Going on.";
    }
    this.syncFigure();
  }

  skip() {
    if (!this.active) { return; }
    this.voice.hush();
    this.last = performance.now();
    this.pacer.skip();
    this.syncFigure();
  }

  end(why) {
    if (!this.active) { return; }
    const pacer = this.pacer;
    this.pacer = null;
    if (this.timer !== null) { window.clearTimeout(this.timer); }
    this.timer = null;
    pacer.finish();
    this.voice.hush();
    this.controls(false);
    if (this.demonstration) { this.demonstration.loop(); }
    const done = this.count();
    this.manualButton.disabled = done >= this.target;
    this.manualButton.textContent = "Start repetition " + (done + 1);
    if (why === "finished") {
      this.cue("Well done");
      this.voice.tone(TONES.done, 250);
      this.voice.say("Well done");
      this.statusEl.textContent = done + " of " + this.target + " repetitions done. Well done — continue below.";
    } else if (why === "ended") {
      this.cue("");
      this.cueEl.hidden = true;
      this.statusEl.textContent = "Stopped following: " + done + " of " + this.target + " done. Change the number if it is wrong, then continue below.";
    } else if (why === "camera") {
      this.cue("");
      this.cueEl.hidden = true;
      this.statusEl.textContent = "The camera is counting now.";
    }
  }
}

function main() {
  const trainer = document.getElementById("rep-trainer");
  const field = document.getElementById("reps");
  if (!trainer || !field || !document.getElementById("follow-start")) { return; }
  let demonstration = null;
  const demoRoot = document.getElementById("demo");
  if (demoRoot && demoRoot.dataset.demo) {
    demonstration = new Demonstration(demoRoot, JSON.parse(demoRoot.dataset.demo));
    demonstration.apply();
  }
  new FollowAlong(trainer, demonstration).wire();
}

main();
