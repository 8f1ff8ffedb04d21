// The camera and pose loop of the camera coach: on-device MediaPipe Pose, frames never
// leave the browser.
//
// new PoseRunner({video, onFrame, onError, onStop, model}) then start({facingMode}) /
// stop(). Each analysed frame is reported as
//   {t_ms, landmarks, width, height, model, processMs, capturedAt}
// t_ms: integer milliseconds since the first camera frame, strictly increasing;
// landmarks: MediaPipe's 33 {x, y, z, visibility} in normalised image coordinates, or
// null when no person was found; width/height: the frame in pixels; model: "lite" or
// "full"; processMs: the pose estimate's time; capturedAt: the frame's time on the
// performance.now() clock (to measure latency).
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

let poseScript = null;

// pose.js is a classic script that defines window.Pose; load it once, from the app.
function loadPoseScript() {
  if (window.Pose) return Promise.resolve(window.Pose);
  if (!poseScript) {
    poseScript = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = assetUrl("pose.js");
      script.onload = () =>
        window.Pose ? resolve(window.Pose) : reject(new Error("pose.js defined no Pose"));
      script.onerror = () => reject(new Error("pose.js could not be loaded"));
      document.head.appendChild(script);
    }).catch((error) => {
      poseScript = null;
      throw error;
    });
  }
  return poseScript;
}

export function assetUrl(name) {
  return `${ASSET_BASE}${name}?v=${POSE_VERSION}`;
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
  constructor({ video, onFrame, onError, onStop, model = "full", stepDownMs = SLOW_FRAME_MS }) {
    if (!(model in MODELS)) throw new Error(`unknown model ${model}`);
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
    this.stats = { cameraFrames: 0, analysedFrames: 0, droppedFrames: 0, steppedDown: false };
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
    if (loading) loading.then((pose) => pose.close()).catch(() => {});
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
    const Pose = await loadPoseScript();
    const pose = new Pose({ locateFile: (name) => assetUrl(name) });
    pose.setOptions({
      modelComplexity: MODELS[this.model],
      smoothLandmarks: false,
      enableSegmentation: false,
      minDetectionConfidence: 0.5,
      minTrackingConfidence: 0.5,
    });
    pose.onResults((results) => {
      this._results = results;
    });
    await pose.initialize();
    this.pose = pose;
    return pose;
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
    this._results = null;
    const began = performance.now();
    try {
      await this.pose.send({ image: this.video });
    } catch (error) {
      this.busy = false;
      if (this.running && run === this.run) this._fail("load_failed", error);
      return;
    }
    const processMs = performance.now() - began;
    this.busy = false;
    if (!this.running || run !== this.run) return;
    this.stats.analysedFrames += 1;
    const found = this._results && this._results.poseLandmarks;
    const landmarks = found
      ? found.map((p) => ({ x: p.x, y: p.y, z: p.z, visibility: p.visibility }))
      : null;
    this._noteTime(processMs, model);
    this.onFrame({ t_ms, landmarks, width, height, model, processMs, capturedAt });
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
      this.pose.setOptions({ modelComplexity: MODELS.lite });
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
