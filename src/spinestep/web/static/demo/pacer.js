// spinestep: the follow-along pacer. Pure timing, no page: it walks through the
// repetitions of a set, phase by phase (move, hold, return, rest), and reports what
// happens as events the page turns into words, tones and the count.
//
// Events (each an object with a ``type``):
//   {type: "phase", phase, slot, last}   a phase starts (slot counts from 1)
//   {type: "hold", left}                 the whole seconds left in the hold changed
//   {type: "done", slot}                 a repetition was completed (count it)
//   {type: "finished"}                   the set is over

export const FALLBACK_MOVE_S = 2;

// One repetition's phases when the stage has no demonstration.
export function fallbackPhases(holdS) {
  const spans = [];
  let start = 0;
  for (const [phase, length] of [["move", FALLBACK_MOVE_S], ["hold", holdS], ["return", FALLBACK_MOVE_S], ["rest", 1]]) {
    if (length > 0) {
      spans.push({ phase, start_s: start, end_s: start + length });
      start += length;
    }
  }
  return spans;
}

export class Pacer {
  // ``phases``: one repetition; ``slots``: the repetitions of the set; ``first``: the
  // slot to start at (1 for a fresh set; later when some were already counted).
  constructor(phases, slots, first, emit) {
    this.phases = phases;
    this.slots = slots;
    this.slot = first;
    this.emit = emit;
    this.repS = phases[phases.length - 1].end_s;
    const moving = phases.filter((span) => span.phase !== "rest");
    this.countAt = moving.length ? moving[moving.length - 1].end_s : this.repS;
    this.t = 0;
    this.phaseIndex = -1;
    this.counted = false;
    this.holdLeft = null;
    this.finished = false;
  }

  get phase() { return this.phaseIndex >= 0 ? this.phases[this.phaseIndex] : null; }

  begin() {
    if (this.slot > this.slots) { this.finish(); return; }
    this.advance(0);
  }

  // Time passes (seconds); events are emitted in order.
  advance(seconds) {
    if (this.finished) { return; }
    this.t += seconds;
    for (;;) {
      while (this.phaseIndex + 1 < this.phases.length && this.phases[this.phaseIndex + 1].start_s <= this.t) {
        this.phaseIndex += 1;
        const span = this.phases[this.phaseIndex];
        if (!this.counted && span.start_s >= this.countAt) { this.count(); }
        this.emit({ type: "phase", phase: span.phase, slot: this.slot, last: this.slot === this.slots });
      }
      const span = this.phase;
      if (span && span.phase === "hold" && this.t < span.end_s) {
        const left = Math.ceil(span.end_s - this.t - 1e-9);
        if (left !== this.holdLeft) {
          this.holdLeft = left;
          this.emit({ type: "hold", left, first: left === span.end_s - span.start_s });
        }
      }
      if (!this.counted && this.t >= this.countAt) { this.count(); }
      if (this.t < this.repS) { return; }
      this.t -= this.repS;
      if (!this.nextSlot()) { return; }
    }
  }

  count() {
    this.counted = true;
    this.emit({ type: "done", slot: this.slot });
  }

  // On to the next slot; false when the set is over.
  nextSlot() {
    this.slot += 1;
    this.phaseIndex = -1;
    this.counted = false;
    this.holdLeft = null;
    if (this.slot > this.slots) { this.finish(); return false; }
    return true;
  }

  // Skip this repetition: on to the next one, this one not counted.
  skip() {
    if (this.finished) { return; }
    this.t = 0;
    if (this.nextSlot()) { this.advance(0); }
  }

  finish() {
    if (this.finished) { return; }
    this.finished = true;
    this.emit({ type: "finished" });
  }
}
