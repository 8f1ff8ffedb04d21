// Body angles from MediaPipe Pose landmarks in the browser (SPEC §6).
//
// The same geometry as the Python module spinestep/domain/kinematics.py, line for
// line, so the live coach and the server measure the same thing; a browser test runs
// both on the same landmark files. Keep the two in step.
//
// Input: MediaPipe's 33 landmarks {x, y, z, visibility} in normalised image
// coordinates (x across, y down, 0..1 inside the picture, outside it when a joint is
// out of frame) and the frame's width and height in pixels. Angles are computed in
// pixels, so a portrait phone picture is not stretched. z is not used.
"use strict";

export const Joint = Object.freeze({
  NOSE: 0,
  LEFT_EAR: 7,
  RIGHT_EAR: 8,
  LEFT_SHOULDER: 11,
  RIGHT_SHOULDER: 12,
  LEFT_HIP: 23,
  RIGHT_HIP: 24,
  LEFT_KNEE: 25,
  RIGHT_KNEE: 26,
  LEFT_ANKLE: 27,
  RIGHT_ANKLE: 28,
  LEFT_HEEL: 29,
  RIGHT_HEEL: 30,
  LEFT_FOOT_INDEX: 31,
  RIGHT_FOOT_INDEX: 32,
});

// The joints every angle needs; their mean visibility is the frame's quality.
export const CORE_JOINTS = Object.freeze([
  Joint.LEFT_SHOULDER, Joint.RIGHT_SHOULDER,
  Joint.LEFT_HIP, Joint.RIGHT_HIP,
  Joint.LEFT_KNEE, Joint.RIGHT_KNEE,
]);

// Body parts that must be in the picture for the whole body to show (any joint of each).
const BODY_PARTS = [
  [Joint.NOSE, Joint.LEFT_EAR, Joint.RIGHT_EAR],
  [Joint.LEFT_SHOULDER, Joint.RIGHT_SHOULDER],
  [Joint.LEFT_HIP, Joint.RIGHT_HIP],
  [Joint.LEFT_KNEE, Joint.RIGHT_KNEE],
  [Joint.LEFT_ANKLE, Joint.RIGHT_ANKLE],
];

// Typical shoulder and hip widths as fractions of the torso length.
const SHOULDER_WIDTH_PER_TORSO = 0.85;
const HIP_WIDTH_PER_TORSO = 0.6;
// "About ±20°" of side-on, with a margin for landmark noise.
export const SIDE_VIEW_LIMIT_DEG = 25.0;

const RAD_TO_DEG = 180.0 / Math.PI;
const STAGES = ["supine", "seated", "standing"];

// Supine is measured by hip flexion; seated and standing by trunk flexion.
export function primaryMeasure(stage) {
  if (!STAGES.includes(stage)) {
    throw new RangeError(`stage must be one of ${STAGES.join(", ")}`);
  }
  return stage === "supine" ? "hip_flexion" : "trunk_flexion";
}

function facingSign(facing) {
  if (facing === "right") { return 1; }
  if (facing === "left") { return -1; }
  throw new RangeError('facing must be "left" or "right"');
}

// The landmarks in pixels of the frame: index -> {x, y, visibility}, or null when absent.
function toPixels(landmarks, width, height) {
  if (!Array.isArray(landmarks)) {
    throw new TypeError("landmarks must be MediaPipe's array of 33 points");
  }
  if (!(width > 0 && height > 0)) {
    throw new RangeError("the frame's width and height must be positive numbers of pixels");
  }
  return {
    width,
    height,
    point(joint) {
      const p = landmarks[joint];
      if (p === undefined || p === null) { return null; }
      return { x: p.x * width, y: p.y * height, visibility: p.visibility ?? 0.0 };
    },
  };
}

function mid(pose, left, right) {
  const a = pose.point(left);
  const b = pose.point(right);
  return [(a.x + b.x) / 2.0, (a.y + b.y) / 2.0];
}

const shoulderMid = (pose) => mid(pose, Joint.LEFT_SHOULDER, Joint.RIGHT_SHOULDER);
const hipMid = (pose) => mid(pose, Joint.LEFT_HIP, Joint.RIGHT_HIP);
const kneeMid = (pose) => mid(pose, Joint.LEFT_KNEE, Joint.RIGHT_KNEE);
const dist = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1]);
const torsoLength = (pose) => dist(shoulderMid(pose), hipMid(pose));
const clip = (value) => Math.max(-1.0, Math.min(1.0, value));
const mean = (values) => values.reduce((sum, v) => sum + v, 0) / values.length;

// The angle ABC at vertex B, 0-180 degrees.
function angleAtDeg(a, b, c) {
  const ux = a[0] - b[0];
  const uy = a[1] - b[1];
  const vx = c[0] - b[0];
  const vy = c[1] - b[1];
  const norm = Math.hypot(ux, uy) * Math.hypot(vx, vy);
  if (norm === 0.0) { return 0.0; }
  const cosine = Math.max(-1.0, Math.min(1.0, (ux * vx + uy * vy) / norm));
  return Math.acos(cosine) * RAD_TO_DEG;
}

function trunkFlexionDeg(pose, facing) {
  const [sx, sy] = shoulderMid(pose);
  const [hx, hy] = hipMid(pose);
  const forward = (sx - hx) * facingSign(facing);
  const up = hy - sy; // image y grows downwards
  return Math.atan2(forward, up) * RAD_TO_DEG;
}

function hipFlexionDeg(pose) {
  return 180.0 - angleAtDeg(shoulderMid(pose), hipMid(pose), kneeMid(pose));
}

function kneeToChestRatio(pose) {
  const torso = torsoLength(pose);
  if (torso === 0.0) { return Infinity; }
  return dist(kneeMid(pose), shoulderMid(pose)) / torso;
}

// {trunk, hip, ratio}: trunk flexion (signed towards the facing side, "left" or
// "right"), hip flexion in degrees, and the knee-to-chest ratio.
export function frameAngles(landmarks, facing, width, height) {
  const pose = toPixels(landmarks, width, height);
  return {
    trunk: trunkFlexionDeg(pose, facing),
    hip: hipFlexionDeg(pose),
    ratio: kneeToChestRatio(pose),
  };
}

// The stage's primary angle of one frame (trunk or hip flexion), in degrees.
export function primaryAngle(landmarks, stage, facing, width, height) {
  const angles = frameAngles(landmarks, facing, width, height);
  return primaryMeasure(stage) === "hip_flexion" ? angles.hip : angles.trunk;
}

// Mean visibility of the core joints (shoulders, hips, knees), 0..1.
export function meanVisibility(landmarks, joints = CORE_JOINTS) {
  const values = joints
    .map((joint) => landmarks[joint])
    .filter((p) => p !== undefined && p !== null)
    .map((p) => p.visibility ?? 0.0);
  return values.length ? mean(values) : 0.0;
}

// Evidence for facing right (> 0) or left (< 0) in one frame, from nose and toes.
export function facingVote(landmarks, width, height) {
  const pose = toPixels(landmarks, width, height);
  const torso = torsoLength(pose) || 1.0;
  let vote = 0.0;
  const nose = pose.point(Joint.NOSE);
  const ears = [Joint.LEFT_EAR, Joint.RIGHT_EAR].map((j) => pose.point(j)).filter(Boolean);
  if (nose !== null && ears.length) {
    const earX = mean(ears.map((e) => e.x));
    const earY = mean(ears.map((e) => e.y));
    const [sx, sy] = shoulderMid(pose);
    const [hx, hy] = hipMid(pose);
    // cross product of the trunk axis (hip->shoulder) and the face direction (ear->nose)
    const cross = (sx - hx) * (nose.y - earY) - (sy - hy) * (nose.x - earX);
    const weight = nose.visibility * mean(ears.map((e) => e.visibility));
    vote += weight * clip(cross / (0.1 * torso * torso));
  }
  for (const [toeJoint, heelJoint] of [
    [Joint.LEFT_FOOT_INDEX, Joint.LEFT_HEEL],
    [Joint.RIGHT_FOOT_INDEX, Joint.RIGHT_HEEL],
  ]) {
    const toe = pose.point(toeJoint);
    const heel = pose.point(heelJoint);
    if (toe !== null && heel !== null) {
      const dx = toe.x - heel.x;
      const dy = toe.y - heel.y;
      if (Math.abs(dx) > Math.abs(dy)) { // a flat foot points the way the person faces
        vote += 0.5 * toe.visibility * heel.visibility * clip(dx / (0.1 * torso));
      }
    }
  }
  return vote;
}

// The facing side over many frames' votes; ties go to the right.
export function facingFromVotes(votes) {
  return votes.reduce((sum, v) => sum + v, 0) < 0.0 ? "left" : "right";
}

// How far the camera is from side-on: 0 (side-on) to 90 (front or back) degrees.
export function viewYawDeg(landmarks, width, height) {
  const pose = toPixels(landmarks, width, height);
  const torso = torsoLength(pose);
  if (torso === 0.0) { return 90.0; }
  const xy = (joint) => { const p = pose.point(joint); return [p.x, p.y]; };
  const shoulders = dist(xy(Joint.LEFT_SHOULDER), xy(Joint.RIGHT_SHOULDER))
    / (torso * SHOULDER_WIDTH_PER_TORSO);
  const hips = dist(xy(Joint.LEFT_HIP), xy(Joint.RIGHT_HIP)) / (torso * HIP_WIDTH_PER_TORSO);
  return Math.asin(Math.min(1.0, (shoulders + hips) / 2.0)) * RAD_TO_DEG;
}

// Head, shoulders, hips, knees and ankles in the frame and seen (one of each
// left/right pair is enough: side-on, the far limb hides behind the near one).
export function wholeBodyVisible(landmarks, width, height, minVisibility = 0.5) {
  const pose = toPixels(landmarks, width, height);
  const seen = (joint) => {
    const p = pose.point(joint);
    if (p === null || p.visibility < minVisibility) { return false; }
    return p.x >= 0.0 && p.x <= width && p.y >= 0.0 && p.y <= height;
  };
  return BODY_PARTS.every((group) => group.some(seen));
}
