// The camera coach of the guided session's exercise step (SPEC §6, in the browser).
//
// "Use the camera" opens the phone's camera; MediaPipe Pose runs on the phone
// (motion/pose-runner.js) and each frame becomes a handful of numbers: the stage's
// primary angle, the visibility of the core joints, how far the view is from side-on
// and which way the person faces (motion/kinematics.js). No picture and no landmark
// leaves the phone: the page sends only that angle series with the session (hidden
// field `motion_series`), and the server counts it again with the code of
// `spinestep analyze`.
//
// Live, on the page:
// - counting starts only after one still second in the start posture, side-on, with
//   the whole body in the picture (getting into position is never counted, and the
//   series sent begins with that second, so the server's baseline is the same);
// - the primary angle, the repetition count (which also fills the `reps` field) and a
//   hold countdown that starts when the hold begins (motion/counter.js);
// - spoken cues ("hold", "release", "rep 4", "last one") where the browser has a voice,
//   otherwise tones;
// - it refuses to count, and says why, while the view is not side-on or the body not
//   in the picture; lying on the back, when the camera cannot see the hips and knees
//   well enough, it says so and hands over to the manual counter;
// - the camera stops when the step ends (the form is sent, the page is left) or the
//   tab is hidden.
// Without JavaScript, without a camera or when the camera is refused, the manual
// counter (session.js) and the `reps` field stay.

import { PoseRunner } from "./motion/pose-runner.js";
import {
  SIDE_VIEW_LIMIT_DEG,
  facingFromVotes,
  facingVote,
  meanVisibility,
  primaryAngle,
  viewYawDeg,
  wholeBodyVisible,
} from "./motion/kinematics.js";
import { LiveSmoother, RepCounter } from "./motion/counter.js";

// The still second that sets the baseline: this long, moving less than STILL_RANGE_DEG.
export const BASELINE_MS = 1000;
export const STILL_RANGE_DEG = 8;
// The start posture: upright (standing, seated) or knees bent with feet flat (supine).
export const START_POSTURE_MAX_DEG = { standing: 30, seated: 30, supine: 80 };
// A view problem must last this long before it is shown (and again before it clears).
export const PROMPT_SETTLE_MS = 1000;
// Lying on the back: over this window, the share of frames in which the camera saw the
// body well (a person, core joints visible, whole body in the picture) must reach
// MIN_SEEN_FRACTION, or the camera hands over to the manual counter.
export const SEEN_WINDOW_MS = 4000;
export const MIN_SEEN_FRACTION = 0.7;
export const MIN_CORE_VISIBILITY = 0.5;
// Live counting takes the median of this many frames before the 1€ filter.
export const SPIKE_WINDOW = 7;
// The server analyses at most this many frames (ten minutes at 30 frames/s).
export const MAX_FRAMES = 18000;
// A restarted camera (after the tab was hidden) continues the series after this gap.
const RESTART_GAP_MS = 1000;

const MESSAGES = {
  loading: "Loading the pose model on your phone…",
  setup: "Stand still in the start position, side-on to the camera, whole body in the picture.",
  no_person: "No person found: make sure your whole body is in the picture and the room is well lit.",
  step_back: "Step back (or move the phone further away) so your whole body shows, head to feet.",
  turn: "The camera does not see you side-on: place it at a right angle to the direction you face, level with your hips. Not counting until then.",
  counting: "Counting. Bend, hold, and come back up.",
  poor_view: "The camera cannot see you well enough lying down. Count with the button below instead.",
  permission_denied: "The camera was not allowed, so nothing is counted by camera. Count with the button below, or allow the camera in your browser's settings and try again.",
  no_camera: "No camera could be started on this device. Count with the button below.",
  load_failed: "The pose model could not be loaded. Count with the button below.",
  hidden: "The camera stopped while the page was hidden. Press “Use the camera” to go on; the count so far is kept.",
  stopped: "The camera is off. Your count so far is kept in “Repetitions done”.",
};

function round1(value) { return Math.round(value * 10) / 10; }
function round2(value) { return Math.round(value * 100) / 100; }

// Which way is wrong with a frame's view, or "ok".
function viewStatus(frame) {
  if (frame.angle === null) { return "no_person"; }
  if (!frame.whole) { return "step_back"; }
  if (frame.yaw > SIDE_VIEW_LIMIT_DEG) { return "turn"; }
  return "ok";
}

// Cues: a voice where the browser has one, otherwise tones (never both).
class Cues {
  constructor(toggle, line) {
    this.toggle = toggle;
    this.line = line;
    this.audio = null;
  }

  // Called from the click on "Use the camera": phones allow sound only after a gesture.
  unlock() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!this.audio && Context) {
      try { this.audio = new Context(); } catch (error) { this.audio = null; }
    }
    if (this.audio && this.audio.state === "suspended") { this.audio.resume().catch(() => {}); }
  }

  say(text, tones) {
    this.line.textContent = text;
    if (this.toggle && !this.toggle.checked) { return; }
    const speech = window.speechSynthesis;
    const voices = speech && typeof speech.getVoices === "function" ? speech.getVoices() : [];
    if (voices.length && window.SpeechSynthesisUtterance) {
      speech.speak(new SpeechSynthesisUtterance(text));
      return;
    }
    this.tones(tones);
  }

  tones(pitchesHz) {
    const audio = this.audio;
    if (!audio) { return; }
    let at = audio.currentTime;
    for (const hz of pitchesHz) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = hz;
      gain.gain.value = 0.15;
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start(at);
      osc.stop(at + 0.15);
      at += 0.22;
    }
  }
}

class CameraCoach {
  constructor(root) {
    this.root = root;
    this.stage = root.dataset.stage;
    this.target = parseInt(root.dataset.reps, 10) || 10;
    const hold = parseFloat(root.dataset.holdS);
    this.holdS = hold >= 0 ? hold : 2;
    this.form = root.closest("form");
    this.field = document.getElementById("motion-series");
    this.reps = document.getElementById("reps");
    this.manual = document.getElementById("rep-trainer");
    const $ = (id) => document.getElementById(id);
    this.useButton = $("camera-use");
    this.stopButton = $("camera-stop");
    this.doneButton = $("camera-done");
    this.live = $("camera-live");
    this.video = $("camera-video");
    this.angleEl = $("camera-angle");
    this.countEl = $("camera-count");
    this.heldEl = $("camera-held");
    this.holdEl = $("camera-hold");
    this.statusEl = $("camera-status");
    this.messageEl = $("camera-message");
    this.cues = new Cues($("camera-voice"), $("camera-cue"));
    this.runner = null;
    this.counter = new RepCounter();
    this.smoother = new LiveSmoother();
    this.recent = []; // the last angles counted, for despiked()
    this.frames = []; // sent: [t_ms, angle, visibility, yaw, vote] from the baseline on
    this.pending = []; // the still run that may become the baseline
    this.statuses = []; // [t_ms, status] over the last PROMPT_SETTLE_MS
    this.seen = []; // [t_ms, seen well] over the last SEEN_WINDOW_MS (supine)
    this.shown = null;
    this.votes = 0;
    this.facing = null; // frozen at the first baseline
    this.model = "full";
    this.counting = false; // a baseline was found in this run of the camera
    this.offsetMs = 0; // where this run of the camera continues the series
    this.lastT = -1;
    this.holdRep = null; // the rep whose hold was announced / released
    this.released = false;
    this.full = false;
  }

  wire() {
    this.useButton.addEventListener("click", () => this.start());
    this.stopButton.addEventListener("click", () => this.stop());
    this.doneButton.addEventListener("click", () => {
      const next = this.form.querySelector("button[name='action'][value='next']");
      this.form.requestSubmit(next);
    });
    // The form data is built after this event: the series goes with the step.
    this.form.addEventListener("submit", () => {
      this.fillSeries();
      this.stop();
    });
    window.addEventListener("pagehide", () => this.stop());
    // Pose libraries that read the element's width and height attributes (TF.js) need
    // them to be the camera's picture size; CSS still decides the size shown.
    const size = () => {
      if (this.video.videoWidth && this.video.videoHeight) {
        this.video.width = this.video.videoWidth;
        this.video.height = this.video.videoHeight;
      }
    };
    this.video.addEventListener("loadedmetadata", size);
    this.video.addEventListener("resize", size);
    this.root.hidden = false;
  }

  facingMode() {
    const chosen = this.root.querySelector("input[name='camera-facing']:checked");
    return chosen ? chosen.value : "user";
  }

  async start() {
    if (this.runner) { return; }
    this.cues.unlock();
    this.useButton.disabled = true;
    this.counting = false;
    this.pending = [];
    this.statuses = [];
    this.seen = [];
    this.shown = null;
    this.offsetMs = this.lastT < 0 ? 0 : this.lastT + RESTART_GAP_MS;
    this.smoother = new LiveSmoother();
    this.recent = [];
    this.showLive(true);
    this.status(MESSAGES.loading);
    this.runner = new PoseRunner({
      video: this.video,
      model: this.model,
      onFrame: (frame) => this.onFrame(frame),
      onError: (error) => this.onError(error),
      onStop: ({ reason }) => this.onStopped(reason),
    });
    const started = await this.runner.start({ facingMode: this.facingMode() });
    if (started && this.runner) { this.status(MESSAGES.setup); }
  }

  // The runner reports the stop through onStop ("stopped"), except when it had failed.
  stop() {
    const runner = this.runner;
    if (runner) { runner.stop(); }
    this.runner = null;
  }

  onStopped(reason) {
    this.runner = null;
    this.useButton.disabled = false;
    this.showLive(false);
    this.status(MESSAGES[reason] || MESSAGES.stopped);
  }

  onError({ kind }) {
    this.runner = null;
    this.showLive(false);
    this.useButton.disabled = false;
    this.handOver(MESSAGES[kind] || MESSAGES.no_camera);
  }

  // Back to counting by hand: the camera's count so far stays in the reps field.
  handOver(message) {
    this.stop();
    this.showLive(false);
    this.status(message);
    if (this.manual) { this.manual.hidden = false; }
  }

  showLive(on) {
    if (on) { window.scrollTo(0, 0); }
    this.live.hidden = !on;
    this.messageEl.hidden = on;
    document.body.classList.toggle("camera-running", on);
    if (this.manual) { this.manual.hidden = on; }
  }

  // The live panel's status line while the camera runs, and the same words below the
  // button once it has stopped (a refusal, a hand-over to the manual counter).
  status(text) {
    this.statusEl.textContent = text;
    this.messageEl.textContent = text;
  }

  // One analysed camera frame.
  onFrame({ t_ms: runnerT, landmarks, width, height, model }) {
    if (!this.runner) { return; }
    if (model === "lite") { this.model = "lite"; }
    const t = this.offsetMs + runnerT;
    const frame = this.measure(t, landmarks, width, height);
    this.settlePrompt(t, this.judge(frame));
    if (this.stage === "supine" && this.poorView(t, frame)) {
      this.handOver(MESSAGES.poor_view);
      return;
    }
    this.angleEl.textContent = frame.angle === null ? "–" : `${Math.round(frame.angle)}°`;
    if (!this.counting) {
      this.lookForBaseline(frame);
      return;
    }
    this.record(frame);
    this.count(frame);
  }

  measure(t, landmarks, width, height) {
    if (!landmarks) {
      return { t, angle: null, angleRight: null, visibility: 0, yaw: null, vote: null, whole: false };
    }
    const vote = facingVote(landmarks, width, height);
    if (this.facing === null) { this.votes += vote; }
    const facing = this.facing || facingFromVotes([this.votes]);
    return {
      t,
      angle: primaryAngle(landmarks, this.stage, facing, width, height),
      visibility: meanVisibility(landmarks),
      yaw: viewYawDeg(landmarks, width, height),
      vote,
      whole: wholeBodyVisible(landmarks, width, height),
    };
  }

  // The view is judged in the start posture (and before counting starts): bent far
  // forward, the shoulders and hips of a side view spread in the picture, so a deep
  // bend would look like a turn. There only a missing person counts as a problem.
  judge(frame) {
    if (!this.counting || this.inStartPosture(frame)) { return viewStatus(frame); }
    return frame.angle === null ? "no_person" : "ok";
  }

  inStartPosture(frame) {
    return frame.angle !== null && Math.abs(frame.angle) <= START_POSTURE_MAX_DEG[this.stage];
  }

  // The view problem that has lasted about a second (or none) is shown.
  settlePrompt(t, status) {
    this.statuses.push([t, status]);
    while (this.statuses.length && t - this.statuses[0][0] > PROMPT_SETTLE_MS) {
      this.statuses.shift();
    }
    this.viewOk = this.settled() === "ok";
    if (t - this.statuses[0][0] < PROMPT_SETTLE_MS * 0.9) { return; }
    const dominant = this.settled();
    if (dominant === this.shown) { return; }
    this.shown = dominant;
    if (dominant !== "ok") { this.status(MESSAGES[dominant]); }
    else { this.status(this.counting ? MESSAGES.counting : MESSAGES.setup); }
  }

  settled() {
    const tally = {};
    let best = "ok";
    for (const [, status] of this.statuses) {
      tally[status] = (tally[status] || 0) + 1;
      if (tally[status] > (tally[best] || 0)) { best = status; }
    }
    return best;
  }

  poorView(t, frame) {
    const well = frame.angle !== null && frame.whole && frame.visibility >= MIN_CORE_VISIBILITY;
    this.seen.push([t, well]);
    while (this.seen.length && t - this.seen[0][0] > SEEN_WINDOW_MS) { this.seen.shift(); }
    if (t - this.seen[0][0] < SEEN_WINDOW_MS * 0.9) { return false; }
    const share = this.seen.filter(([, ok]) => ok).length / this.seen.length;
    return share < MIN_SEEN_FRACTION;
  }

  // A still second in the start posture, side-on, whole body: counting starts there.
  lookForBaseline(frame) {
    const ready = viewStatus(frame) === "ok" && this.inStartPosture(frame);
    if (!ready) {
      this.pending = [];
      return;
    }
    this.pending.push(frame);
    const angles = () => this.pending.map((f) => f.angle);
    while (Math.max(...angles()) - Math.min(...angles()) > STILL_RANGE_DEG) { this.pending.shift(); }
    if (frame.t - this.pending[0].t < BASELINE_MS) { return; }
    if (this.facing === null) { this.facing = facingFromVotes([this.votes]); }
    this.counting = true;
    this.shown = "ok";
    this.status(MESSAGES.counting);
    for (const still of this.pending) {
      this.record(still);
      this.count(still);
    }
    this.pending = [];
  }

  record(frame) {
    if (this.frames.length >= MAX_FRAMES) {
      if (!this.full) {
        this.full = true;
        this.status("The camera has recorded the most one session can send; count the rest by hand.");
      }
      return;
    }
    this.lastT = frame.t;
    this.frames.push([
      Math.round(frame.t),
      frame.angle === null ? null : round1(frame.angle),
      round2(frame.visibility),
      frame.yaw === null ? null : round1(Math.min(90, frame.yaw)),
      frame.vote === null ? null : round2(frame.vote),
    ]);
  }

  // Feeds the live counter: a frame whose view is wrong is not counted.
  count(frame) {
    const usable = frame.angle !== null && this.viewOk !== false;
    const angle = usable ? this.smoother.smooth(frame.t, this.despiked(frame.angle)) : null;
    const events = this.counter.update({
      t_ms: frame.t, angle, detected: usable, visibility: frame.visibility,
    });
    for (const event of events) { this.announce(event); }
    this.showHold();
  }

  // The median of the last SPIKE_WINDOW angles: up to three frames read far off (the
  // pose tracker still looking where the body was) neither start a repetition nor set
  // its peak, which would leave the real hold outside "within 10° of the peak".
  despiked(angle) {
    this.recent.push(angle);
    if (this.recent.length > SPIKE_WINDOW) { this.recent.shift(); }
    const sorted = [...this.recent].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  }

  announce(event) {
    if (event.kind === "rep_started") {
      this.holdRep = null;
      this.released = false;
    } else if (event.kind === "hold_started") {
      if (this.holdRep !== this.counter.reps.length) {
        this.holdRep = this.counter.reps.length;
        this.released = false;
        this.cues.say("hold", [440]);
      }
    } else if (event.kind === "rep_completed") {
      const done = this.counter.reps.length;
      this.countEl.textContent = String(done);
      this.heldEl.textContent = String(this.counter.heldCount);
      if (this.reps) {
        this.reps.value = String(done);
        this.reps.dispatchEvent(new CustomEvent("spinestep:reps", { bubbles: true, detail: done }));
      }
      this.holdEl.textContent = "";
      if (done === this.target - 1) {
        this.cues.say(`rep ${done}, last one`, [880, 880, 880]);
      } else {
        this.cues.say(`rep ${done}`, [880]);
      }
    }
  }

  // The hold countdown: from the dose's hold down to zero, from when the hold began.
  showHold() {
    const heldS = this.counter.holdTimerS;
    if (this.counter.phase !== "moving" || heldS <= 0) {
      if (this.counter.phase !== "moving") { this.holdEl.textContent = ""; }
      return;
    }
    const left = this.holdS - heldS;
    if (left > 0) {
      this.holdEl.textContent = `${left.toFixed(1)} s`;
    } else {
      this.holdEl.textContent = "0.0 s";
      if (!this.released) {
        this.released = true;
        this.cues.say("release", [660, 660]);
      }
    }
  }

  // The hidden field: the compact series of the shared design, never a picture.
  fillSeries() {
    if (!this.field) { return; }
    if (!this.frames.length) {
      this.field.value = "";
      return;
    }
    const first = this.frames[0][0];
    this.field.value = JSON.stringify({
      v: 1,
      stage: this.stage,
      model: this.model,
      facing: this.facing,
      live: { reps: this.counter.reps.length, held: this.counter.heldCount },
      frames: this.frames.map(([t, ...rest]) => [t - first, ...rest]),
    });
  }
}

function main() {
  const root = document.getElementById("camera-coach");
  if (!root || !(root.dataset.stage in START_POSTURE_MAX_DEG)) { return; }
  // Cameras need a secure page (https or this device) and a browser that offers one.
  if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return;
  }
  new CameraCoach(root).wire();
}

main();
