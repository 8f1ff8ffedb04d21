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

// Whether the interval from sample a to the next sample b belongs to a hold.
function steadyNearPeak(a, b, floorDeg) {
  if (a.angle === null || b.angle === null || b.t_s <= a.t_s) { return false; }
  if (a.angle < floorDeg || b.angle < floorDeg) { return false; }
  return Math.abs(b.angle - a.angle) / (b.t_s - a.t_s) < HOLD_MAX_SPEED_DEG_S;
}

// The current run of steady intervals; a glitch shorter than HOLD_BRIDGE_S, across
// which the angle changed slower than the hold speed, is bridged.
class HoldRun {
  constructor() { this.reset(); }

  reset() {
    this.startS = null;
    this.endS = null;
    this.endDeg = 0.0;
    this.glitchFromS = null;
  }

  get lengthS() {
    return this.startS === null || this.endS === null ? 0.0 : this.endS - this.startS;
  }

  // Accounts for the interval a->b; true when it starts a new run.
  add(a, b, steady) {
    if (!steady) {
      if (this.startS !== null) {
        const middleS = (a.t_s + b.t_s) / 2.0;
        if (this.glitchFromS === null) { this.glitchFromS = middleS; }
        if (wholeMs(middleS - this.glitchFromS) >= wholeMs(HOLD_BRIDGE_S)) { this.reset(); }
      }
      return false;
    }
    if (this.glitchFromS !== null && !this.bridgesTo(a)) { this.reset(); }
    const started = this.startS === null;
    if (started) { this.startS = a.t_s; }
    this.endS = b.t_s;
    this.endDeg = b.angle;
    this.glitchFromS = null;
    return started;
  }

  bridgesTo(a) {
    const gapS = a.t_s - this.endS;
    if (gapS <= 0.0) { return true; }
    return Math.abs(a.angle - this.endDeg) / gapS < HOLD_MAX_SPEED_DEG_S;
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
  const best = longestHold(samples, peak.angle - HOLD_BAND_DEG);
  let holdS = 0.0;
  let holdStartS = null;
  let holdEndS = null;
  let romDeg = peak.angle - baselineDeg;
  if (best !== null) {
    holdStartS = samples[best[0]].t_s;
    holdEndS = samples[best[1]].t_s;
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

// First and last sample index of the longest hold, in time.
function longestHold(samples, floorDeg) {
  let best = null;
  let bestS = 0.0;
  const run = new HoldRun();
  let runFirst = 0;
  for (let i = 0; i + 1 < samples.length; i += 1) {
    const steady = steadyNearPeak(samples[i], samples[i + 1], floorDeg);
    if (run.add(samples[i], samples[i + 1], steady)) { runFirst = i; }
    if (steady && (best === null || run.lengthS > bestS)) {
      best = [runFirst, i + 1];
      bestS = run.lengthS;
    }
  }
  return best;
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
    this.previous = null;
    this.hold = new HoldRun();
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
    this.previous = sample;
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
    this.hold.reset();
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

  trackLiveHold(sample, events) {
    const previous = this.previous;
    if (previous === null) { return; }
    const steady = steadyNearPeak(previous, sample, this.peakDeg - HOLD_BAND_DEG);
    if (this.hold.add(previous, sample, steady)) { events.push(event("hold_started", sample)); }
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
    this.hold.reset();
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
