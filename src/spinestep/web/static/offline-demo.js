// The exercise demonstration on the session page kept for offline use: the figure moves
// through one repetition at the patient's dose, again and again (static/demo/figure.js).
// With reduced motion asked for, or without JavaScript, the drawings stay still.
import { DemoFigure } from "./demo/figure.js";

const root = document.getElementById("demo");
const stills = root ? root.querySelector("#demo-stills") : null;
const reduced = window.matchMedia("(prefers-reduced-motion: reduce)");
let figure = null;
let holder = null;

function animate(demo) {
  const svg = stills.querySelector("svg").cloneNode(true);
  svg.setAttribute("aria-label", "Moving drawing of " + demo.title + ": "
    + demo.keyframes.map((keyframe) => keyframe.label).join("; then "));
  holder = document.createElement("div");
  holder.className = "demo-animated";
  holder.appendChild(svg);
  stills.hidden = true;
  stills.after(holder);
  figure = new DemoFigure(svg, demo);
  figure.start();
}

function still() {
  if (figure) figure.cancel();
  if (holder) holder.remove();
  figure = null;
  holder = null;
  stills.hidden = false;
}

if (root && stills && stills.querySelector("svg")) {
  const demo = JSON.parse(root.dataset.demo);
  const apply = () => { if (reduced.matches) still(); else if (!figure) animate(demo); };
  reduced.addEventListener("change", apply);
  apply();
}
