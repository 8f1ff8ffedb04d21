// The live repetition counter in the browser (SPEC §6).
//
// A transcription of the Python state machine in spinestep/domain/reps.py (RepCounter,
// measure_rep) and of the live smoothing in spinestep/motion/filtering.py
// (OneEuroFilter): same constants, same order of arithmetic, so the count shown live
// and the count the server computes from the same angle series agree. A browser test
// runs both on shared fixture series; change the two together.
//
// Input, one sample at a time, in time order:
//   {t_ms, angle, detected, visibility}
// t_ms: the frame's time in milliseconds; angle: the stage's primary angle in degrees,
// or null when no person was found; detected: whether a person was found (defaults to
// angle !== null); visibility: mean visibility of the core joints, 0..1.
// Output: events {kind, t_ms, rep?} with kind "baseline", "rep_started",
// "hold_started" or "rep_completed" (the last with the rep's measures, named as in
// the Python Rep: start_s, end_s, peak_deg, peak_s, hold_s, hold_start_s, hold_end_s,
// held, rom_deg, detected_fraction, visibility).
"use strict";

export const BASELINE_WINDOW_S = 1.0;
export const MIN_RISE_DEG = 15.0;
export const EXIT_MIN_DEG = 7.5;
export const EXIT_FRACTION = 0.4;
export const REST_BAND_FRACTION = 0.1;
export const REST_BAND_MIN_DEG = 5.0;
export const HOLD_BAND_DEG = 10.0;
export const HOLD_MAX_SPEED_DEG_S = 30.0;
export const HELD_MIN_S = 0.8;
export const HOLD_BRIDGE_S = 0.1;
export const PRE_REP_MEMORY_S = 10.0;
// Live smoothing is restarted after a gap longer than this with no person.
export const MAX_GAP_S = 0.5;

// A duration in whole milliseconds, rounded half up (0.7999999999999998 s is 800).
export function wholeMs(seconds) {
  return Math.floor(seconds * 1000.0 + 0.5);
}

// Whether a hold is long enough, compared in whole milliseconds.
export function isHeld(holdS) {
  return wholeMs(holdS) >= wholeMs(HELD_MIN_S);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const i = Math.floor(n / 2);
  return n % 2 === 1 ? sorted[i] : (sorted[i - 1] + sorted[i]) / 2;
}

// Whether the angle changes slower than the hold speed from sample a to sample b.
function steady(a, b) {
  if (a.angle === null || b.angle === null || b.t_s <= a.t_s) { return false; }
  return Math.abs(b.angle - a.angle) / (b.t_s - a.t_s) < HOLD_MAX_SPEED_DEG_S;
}

function near(sample, floorDeg) {
  return sample.angle !== null && sample.angle >= floorDeg;
}

// Central difference across a sample (itself standing in for a missing neighbour).
function steadyAcross(before, sample, after) {
  if (sample.angle === null) { return false; }
  const left = before !== null && before.angle !== null ? before : sample;
  const right = after !== null && after.angle !== null ? after : sample;
  return steady(left, right);
}

// How far a hold reaches beyond its first or last sample `at`: half the interval to
// the sample outside the run; when there is none or it has no angle, half the interval
// to the sample on the other side; at most half of HOLD_BRIDGE_S. So each sample of a
// hold stands for its share of time (N frames at a constant rate are N intervals).
function reachS(at, outside, inside) {
  const neighbour = outside !== null && outside.angle !== null ? outside : inside;
  if (neighbour === null) { return 0.0; }
  return Math.min(Math.abs(neighbour.t_s - at.t_s) / 2.0, HOLD_BRIDGE_S / 2.0);
}

// Holds in samples fed one at a time: runs of steady samples near the peak. A sample
// is decided when the next one arrives (or at finish); a run's first and last sample
// may also be the slow neighbour of a steady sample, so a plateau counts whole. A run
// reaches halfway to the samples either side of it (reachS); the run in progress ends
// halfway to the newest decided sample's successor, so the live timer trails the
// camera by the one sample not yet decided. `before`: the sample before the first one
// fed (the live finder starts at the rep's first sample), used only for its time.
class HoldFinder {
  constructor(before = null) {
    this.beforeFirst = before;
    this.index = -1;
    this.recent = []; // the last four [index, sample] pairs
    this.countedTo = -1;
    this.lastCore = -1;
    this.start = null;
    this.startS = 0.0; // where the run in progress begins (halfway before it)
    this.end = null;
    this.beforeEnd = null;
    this.afterEnd = null;
    this.best = null;
    this.bestSpan = null; // where the longest run begins and ends, in seconds
    this.bestS = 0.0;
  }

  get endS() {
    const end = this.end[1];
    return end.t_s + reachS(end, this.afterEnd, this.beforeEnd);
  }

  // The run in progress, in seconds (0 when there is none).
  get lengthS() {
    return this.start === null || this.end === null ? 0.0 : this.endS - this.startS;
  }

  // Takes the next sample; true when a run (a hold) has started.
  add(sample, floorDeg) {
    this.index += 1;
    this.recent = [...this.recent.slice(-3), [this.index, sample]];
    if (this.end !== null && this.end[0] === this.index - 1) { this.afterEnd = sample; }
    if (this.recent.length < 2) { return false; }
    const before = this.recent.length >= 3 ? this.recent[this.recent.length - 3] : null;
    return this.decide(before, this.recent[this.recent.length - 2], sample, floorDeg);
  }

  // Decides the last sample (nothing follows it).
  finish(floorDeg) {
    const n = this.recent.length;
    if (n) { this.decide(n >= 2 ? this.recent[n - 2] : null, this.recent[n - 1], null, floorDeg); }
  }

  decide(before, current, after, floorDeg) {
    const [index, sample] = current;
    const previous = before === null ? null : before[1];
    let started = false;
    if (near(sample, floorDeg) && steadyAcross(previous, sample, after)) {
      this.lastCore = index;
      if (before !== null && before[0] > this.countedTo && near(before[1], floorDeg)
          && steady(before[1], sample)) {
        started = this.count(before, this.sampleAt(before[0] - 1)); // a plateau's first
      }
      started = this.count(current, previous) || started;
    } else if (before !== null && this.lastCore === before[0] && near(sample, floorDeg)
               && steady(before[1], sample)) {
      this.count(current, previous); // a plateau's last sample
    } else if (previous !== null) {
      this.dropRunPastBridge(previous.t_s, sample.t_s);
    }
    return started;
  }

  sampleAt(index) {
    if (index === -1) { return this.beforeFirst; }
    const found = this.recent.find(([i]) => i === index);
    return found === undefined ? null : found[1];
  }

  count(current, previousIn) {
    const [index, sample] = current;
    const started = this.end === null
      || (index !== this.end[0] + 1 && !this.bridgesTo(sample, previousIn));
    const following = this.sampleAt(index + 1);
    const previous = previousIn === null ? this.sampleAt(index - 1) : previousIn;
    if (started) {
      this.start = current;
      this.startS = sample.t_s - reachS(sample, previous, following);
    }
    this.end = current;
    this.beforeEnd = previous;
    this.afterEnd = following;
    this.countedTo = index;
    if (this.best === null || this.lengthS > this.bestS) {
      this.best = [this.start[0], index];
      this.bestS = this.lengthS;
      this.bestSpan = [this.startS, this.endS];
    }
    return started;
  }

  // The glitch between the run's last sample and a steady one at atS, from halfway
  // after the one to halfway before the other, in whole milliseconds.
  glitchMs(beforeS, atS) {
    return wholeMs((beforeS + atS) / 2.0 - (this.end[1].t_s + this.afterEnd.t_s) / 2.0);
  }

  bridgesTo(sample, previous) {
    if (this.end === null || previous === null || this.afterEnd === null) { return false; }
    if (this.glitchMs(previous.t_s, sample.t_s) >= wholeMs(HOLD_BRIDGE_S)) { return false; }
    const end = this.end[1];
    const gapS = sample.t_s - end.t_s;
    const changeDeg = Math.abs(sample.angle - end.angle);
    return gapS <= 0.0 || changeDeg / gapS < HOLD_MAX_SPEED_DEG_S;
  }

  // Ends the run once no later steady sample could bridge back to it.
  dropRunPastBridge(previousS, nowS) {
    if (this.end === null || this.afterEnd === null) { return; }
    if (this.glitchMs(previousS, nowS) >= wholeMs(HOLD_BRIDGE_S)) {
      this.start = null;
      this.end = null;
    }
  }
}

function restBand(riseDeg) {
  return Math.max(REST_BAND_MIN_DEG, REST_BAND_FRACTION * riseDeg);
}

// Peak, hold, ROM and quality of one rep from its samples (start to end).
function measureRep(index, samples, baselineDeg) {
  let peak = null;
  for (const s of samples) {
    if (s.angle !== null && (peak === null || s.angle > peak.angle)) { peak = s; }
  }
  const finder = new HoldFinder();
  for (const s of samples) { finder.add(s, peak.angle - HOLD_BAND_DEG); }
  finder.finish(peak.angle - HOLD_BAND_DEG);
  const best = finder.best;
  let holdS = 0.0;
  let holdStartS = null;
  let holdEndS = null;
  let romDeg = peak.angle - baselineDeg;
  if (best !== null && finder.bestSpan !== null) {
    [holdStartS, holdEndS] = finder.bestSpan;
    holdS = holdEndS - holdStartS;
  }
  const held = isHeld(holdS);
  if (held && best !== null) {
    const holdAngles = samples.slice(best[0], best[1] + 1)
      .filter((s) => s.angle !== null).map((s) => s.angle);
    romDeg = median(holdAngles) - baselineDeg;
  }
  const detected = samples.filter((s) => s.detected);
  return {
    index,
    start_s: samples[0].t_s,
    end_s: samples[samples.length - 1].t_s,
    peak_deg: peak.angle,
    peak_s: peak.t_s,
    hold_s: holdS,
    hold_start_s: holdStartS,
    hold_end_s: holdEndS,
    held,
    rom_deg: romDeg,
    detected_fraction: detected.length / samples.length,
    visibility: detected.length
      ? detected.reduce((sum, s) => sum + s.visibility, 0) / detected.length
      : 0.0,
  };
}

function checkedSample(sample) {
  const tMs = sample.t_ms;
  if (typeof tMs !== "number" || !Number.isFinite(tMs)) {
    throw new TypeError("each sample needs t_ms, a finite number of milliseconds");
  }
  const angle = sample.angle === undefined ? null : sample.angle;
  if (angle !== null && (typeof angle !== "number" || !Number.isFinite(angle))) {
    throw new TypeError("a sample's angle must be a finite number of degrees or null");
  }
  return {
    t_ms: tMs,
    t_s: tMs / 1000,
    angle,
    detected: sample.detected === undefined ? angle !== null : Boolean(sample.detected),
    visibility: typeof sample.visibility === "number" ? sample.visibility : 0.0,
  };
}

function event(kind, sample, rep) {
  return rep ? { kind, t_ms: sample.t_ms, rep } : { kind, t_ms: sample.t_ms };
}

// Online repetition state machine with hysteresis. Feed samples in time order.
export class RepCounter {
  constructor() {
    this.baselineDeg = null;
    this.reps = [];
    this.phase = "baseline"; // "baseline", "rest", "moving", "returning"
    this.baselineAngles = [];
    this.firstS = null;
    this.pre = [];
    this.current = [];
    this.peakDeg = 0.0;
    this.returnMin = null;
    this.restMinDeg = null;
    this.hold = new HoldFinder();
    this.last = null; // the sample fed before this one
  }

  // Completed reps, counting one that is already on its way back.
  get repCount() {
    return this.reps.length + (this.phase === "returning" ? 1 : 0);
  }

  // How long the current hold near the peak has lasted so far, in seconds.
  get holdTimerS() {
    return this.phase === "moving" ? this.hold.lengthS : 0.0;
  }

  get heldCount() {
    return this.reps.filter((rep) => rep.held).length;
  }

  update(rawSample) {
    const sample = checkedSample(rawSample);
    const events = [];
    if (this.phase === "baseline") {
      this.collectBaseline(sample, events);
    } else if (this.phase === "rest") {
      this.rest(sample, events);
    } else if (this.phase === "moving") {
      this.moving(sample, events);
    } else {
      this.returning(sample, events);
    }
    this.last = sample;
    return events;
  }

  // End of the data: settle a rep on its way back; drop one still out.
  finish() {
    const events = [];
    if (this.phase === "baseline" && this.baselineAngles.length) {
      this.baselineDeg = median(this.baselineAngles);
      this.phase = "rest";
    }
    if (this.phase === "returning") {
      events.push(this.complete(this.returnMin));
    }
    return events;
  }

  collectBaseline(sample, events) {
    if (sample.angle === null) { return; }
    if (this.firstS === null) { this.firstS = sample.t_s; }
    if (wholeMs(sample.t_s - this.firstS) < wholeMs(BASELINE_WINDOW_S)) {
      this.baselineAngles.push(sample.angle);
      this.rememberRest(sample);
      return;
    }
    this.baselineDeg = median(this.baselineAngles);
    this.phase = "rest";
    events.push(event("baseline", sample));
    this.rest(sample, events);
  }

  rest(sample, events) {
    this.rememberRest(sample);
    const angle = sample.angle;
    if (angle === null) { return; }
    if (this.restMinDeg === null || angle < this.restMinDeg) { this.restMinDeg = angle; }
    // 15° above the baseline and above the lowest point since the last rep.
    if (angle >= Math.max(this.baselineDeg, this.restMinDeg) + MIN_RISE_DEG) {
      this.startRep(sample, events);
    }
  }

  startRep(sample, events) {
    this.phase = "moving";
    this.restMinDeg = null;
    this.current = [sample];
    this.peakDeg = sample.angle;
    this.hold = new HoldFinder(this.last);
    this.hold.add(sample, this.peakDeg - HOLD_BAND_DEG);
    events.push(event("rep_started", sample));
  }

  moving(sample, events) {
    this.current.push(sample);
    const angle = sample.angle;
    if (angle !== null && angle > this.peakDeg) { this.peakDeg = angle; }
    this.trackLiveHold(sample, events);
    if (angle === null) { return; }
    const rise = this.peakDeg - this.baselineDeg;
    if (angle <= this.baselineDeg + Math.max(EXIT_MIN_DEG, EXIT_FRACTION * rise)) {
      this.phase = "returning";
      this.returnMin = sample;
    }
  }

  returning(sample, events) {
    const angle = sample.angle;
    if (angle === null) {
      this.current.push(sample);
      return;
    }
    const minimum = this.returnMin.angle;
    if (angle >= Math.max(this.baselineDeg, minimum) + MIN_RISE_DEG) {
      // Down again before settling: this rep ended at its lowest point.
      events.push(this.complete(this.returnMin));
      this.pre = [];
      this.rememberRest(sample);
      this.startRep(sample, events);
      return;
    }
    this.current.push(sample);
    if (angle < minimum) { this.returnMin = sample; }
    if (angle <= this.baselineDeg + restBand(this.peakDeg - this.baselineDeg)) {
      events.push(this.complete(sample));
      this.pre = [];
      this.rememberRest(sample);
    }
  }

  rememberRest(sample) {
    this.pre.push(sample);
    while (this.pre.length && wholeMs(sample.t_s - this.pre[0].t_s) > wholeMs(PRE_REP_MEMORY_S)) {
      this.pre.shift();
    }
  }

  // The hold so far (the peak so far stands in for the rep's peak).
  trackLiveHold(sample, events) {
    if (this.hold.add(sample, this.peakDeg - HOLD_BAND_DEG)) {
      events.push(event("hold_started", sample));
    }
  }

  // The rep ends at sample `last`.
  complete(last) {
    const baseline = this.baselineDeg;
    const band = baseline + restBand(this.peakDeg - baseline);
    const first = this.current[0];
    let startS = first.t_s;
    const before = this.pre.filter((s) => s.angle !== null && s.t_s <= startS);
    const resting = before.filter((s) => s.angle <= band);
    if (resting.length) {
      startS = resting[resting.length - 1].t_s;
    } else if (before.length) {
      startS = before[0].t_s;
    }
    const endS = last.t_s;
    const window = this.pre.filter((s) => startS <= s.t_s && s.t_s < first.t_s)
      .concat(this.current.filter((s) => s.t_s <= endS));
    const rep = measureRep(this.reps.length + 1, window, baseline);
    this.reps.push(rep);
    this.phase = "rest";
    this.current = [];
    this.returnMin = null;
    this.hold = new HoldFinder();
    return event("rep_completed", last, rep);
  }
}

// Casiez et al.'s 1€ filter: little lag when moving, little jitter when still.
export class OneEuroFilter {
  constructor({ minCutoffHz = 1.0, beta = 0.02, derivativeCutoffHz = 1.0 } = {}) {
    this.minCutoffHz = minCutoffHz;
    this.beta = beta;
    this.derivativeCutoffHz = derivativeCutoffHz;
    this.lastS = null;
    this.lastValue = 0.0;
    this.lastDerivative = 0.0;
  }

  static alpha(cutoffHz, dtS) {
    const tau = 1.0 / (2.0 * Math.PI * cutoffHz);
    return 1.0 / (1.0 + tau / dtS);
  }

  reset() {
    this.lastS = null;
  }

  filter(tS, value) {
    if (this.lastS === null || tS <= this.lastS) {
      this.lastS = tS;
      this.lastValue = value;
      this.lastDerivative = 0.0;
      return value;
    }
    const dt = tS - this.lastS;
    const derivative = (value - this.lastValue) / dt;
    const aD = OneEuroFilter.alpha(this.derivativeCutoffHz, dt);
    this.lastDerivative = aD * derivative + (1 - aD) * this.lastDerivative;
    const cutoff = this.minCutoffHz + this.beta * Math.abs(this.lastDerivative);
    const a = OneEuroFilter.alpha(cutoff, dt);
    this.lastValue = a * value + (1 - a) * this.lastValue;
    this.lastS = tS;
    return this.lastValue;
  }
}

// Live smoothing as the live coach does it: the 1€ filter over the frames with a
// person, restarted after a gap longer than MAX_GAP_S.
export class LiveSmoother {
  constructor() {
    this.filter = new OneEuroFilter();
    this.lastPoseS = null;
  }

  smooth(tMs, angle) {
    if (angle === null) { return null; }
    const tS = tMs / 1000;
    if (this.lastPoseS !== null && tS - this.lastPoseS > MAX_GAP_S) { this.filter.reset(); }
    this.lastPoseS = tS;
    return this.filter.filter(tS, angle);
  }
}

// Samples from the compact series the page sends: [t_ms, angle|null, visibility, ...].
export function samplesFromFrames(frames) {
  return frames.map(([tMs, angle, visibility]) => ({
    t_ms: tMs, angle, detected: angle !== null, visibility,
  }));
}

// Counts a whole series as the live coach would: smoothed by the 1€ filter unless
// {smooth: false}, then fed to a RepCounter one sample at a time.
export function countSeries(samples, { smooth = true } = {}) {
  const counter = new RepCounter();
  const smoother = new LiveSmoother();
  const events = [];
  for (const sample of samples) {
    const angle = sample.angle === undefined ? null : sample.angle;
    events.push(...counter.update({
      t_ms: sample.t_ms,
      angle: smooth ? smoother.smooth(sample.t_ms, angle) : angle,
      detected: sample.detected === undefined ? angle !== null : sample.detected,
      visibility: sample.visibility,
    }));
  }
  events.push(...counter.finish());
  return {
    baseline_deg: counter.baselineDeg,
    reps: counter.reps,
    rep_count: counter.reps.length,
    held_count: counter.heldCount,
    events,
  };
}
