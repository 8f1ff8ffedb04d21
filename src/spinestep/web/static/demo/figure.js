// spinestep: the exercise demonstration's figure, animated with the Web Animations API.
//
// The server draws each keyframe as an inline SVG whose segments are nested groups
// (data-segment="pelvis", "trunk", "thigh", "shin", "foot", "upper_arm", "forearm"),
// each rotated about its joint relative to its parent. Animating a figure means
// animating each group's transform through the keyframes of one repetition at the
// patient's dose: move through the keyframes, hold the last, come back, rest.
// The numbers come from the page (data-demo), the same JSON as GET /api/v1/me/demonstration.

function transformOf(keyframe, segment) {
  if (segment === "pelvis") {
    return "translate(" + keyframe.pelvis[0] + "px, " + keyframe.pelvis[1] + "px)";
  }
  return "rotate(" + keyframe.rotations[segment] + "deg)";
}

function phaseOf(demo, name) {
  return demo.repetition.find((span) => span.phase === name) || null;
}

// One repetition's poses as [offset (0-1), keyframe] pairs, in time order.
export function repetitionPoses(demo) {
  const total = demo.repetition_s;
  const frames = demo.keyframes;
  const last = frames.length - 1;
  const poses = [[0, frames[0]]];
  const move = phaseOf(demo, "move");
  const hold = phaseOf(demo, "hold");
  const back = phaseOf(demo, "return");
  if (move && last > 0) {
    for (let i = 1; i <= last; i += 1) {
      poses.push([(move.start_s + (move.end_s - move.start_s) * (i / last)) / total, frames[i]]);
    }
  }
  if (hold) { poses.push([hold.end_s / total, frames[last]]); }
  if (back && last > 0) {
    for (let j = 1; j <= last; j += 1) {
      poses.push([(back.start_s + (back.end_s - back.start_s) * (j / last)) / total, frames[last - j]]);
    }
  }
  poses.push([1, frames[0]]);
  return poses;
}

export class DemoFigure {
  constructor(svg, demo) {
    this.svg = svg;
    this.demo = demo;
    this.animations = [];
  }

  // Loops the repetition for ever; follow-along mode seeks and pauses it instead.
  start() {
    const poses = repetitionPoses(this.demo);
    const duration = Math.max(this.demo.repetition_s, 1) * 1000;
    for (const group of this.svg.querySelectorAll("[data-segment]")) {
      const segment = group.getAttribute("data-segment");
      const frames = poses.map(([offset, keyframe]) => ({
        offset: Math.min(Math.max(offset, 0), 1),
        transform: transformOf(keyframe, segment),
        easing: "ease-in-out",
      }));
      this.animations.push(group.animate(frames, { duration, iterations: Infinity, fill: "both" }));
    }
  }

  play() { for (const animation of this.animations) { animation.play(); } }

  pause() { for (const animation of this.animations) { animation.pause(); } }

  // Shows the pose ``seconds`` into a repetition.
  seek(seconds) {
    for (const animation of this.animations) { animation.currentTime = seconds * 1000; }
  }

  cancel() {
    for (const animation of this.animations) { animation.cancel(); }
    this.animations = [];
  }
}
