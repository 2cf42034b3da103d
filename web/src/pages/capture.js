// The capture page, made for a phone: take a photo or record a short video
// with the camera, and deposit it at once, with the original stored in the
// vault so that the evidence itself is kept. The capture time is the
// device's clock; the device is the browser's own description; the place
// is recorded only when the user ticks the box that says so.
import { startPage } from "../lib/page.js";
import { requireSession } from "../lib/session.js";
import { depositBlob, resultView } from "../lib/evidence.js";
import { PageError, explain } from "../lib/problem.js";
import { download, el, replace, say } from "../lib/dom.js";
import { formatTime, t } from "../lib/i18n.js";
import sessionTexts from "../../i18n/session.json";
import depositsTexts from "../../i18n/deposits.json";
import captureTexts from "../../i18n/capture.json";

const { suite, origin } = document.body.dataset;
const $ = (id) => document.getElementById(id);

// A video is short evidence, not a film: recording stops by itself.
const maxRecording = 60;
const jpegQuality = 0.92;
const locationTimeout = 10000;

let session = null;
let stream = null;
let recorder = null;
let recordTimer = 0;

startPage([sessionTexts, depositsTexts, captureTexts], main);

async function main() {
  session = await requireSession($("gate"), ["depositor"]);
  if (!session) return;
  $("gate").hidden = true;
  $("capture-app").hidden = false;
  $("camera-start").addEventListener("click", startCamera);
  $("camera-stop").addEventListener("click", stopCamera);
  $("shutter").addEventListener("click", takePhoto);
  $("record").addEventListener("click", toggleRecording);
  $("consent-location").addEventListener("change", (e) => {
    // Ask for the permission when the box is ticked, not at the shutter.
    if (e.target.checked) locate().catch((err) => say($("location-status"), "error", explain(err)));
    else $("location-status").hidden = true;
  });
  for (const radio of document.querySelectorAll('input[name="mode"]')) {
    radio.addEventListener("change", () => {
      // A video needs the microphone too: start again with the new mode.
      if (stream) startCamera();
      else showButtons();
    });
  }
  showButtons();
}

function mode() {
  return document.querySelector('input[name="mode"]:checked').value;
}

function showButtons() {
  const on = !!stream;
  $("camera-start").hidden = on;
  $("camera-stop").hidden = !on;
  $("shutter").hidden = !on || mode() !== "photo";
  $("record").hidden = !on || mode() !== "video";
}

async function startCamera() {
  const status = $("capture-status");
  stopCamera();
  if (!navigator.mediaDevices?.getUserMedia) {
    say(status, "error", t(window.isSecureContext ? "capture.err.unsupported" : "capture.err.insecure"));
    return;
  }
  say(status, "info", t("capture.starting"));
  const video = { facingMode: { ideal: "environment" }, width: { ideal: 1920 }, height: { ideal: 1080 } };
  try {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video, audio: mode() === "video" });
    } catch (err) {
      // No microphone: record the picture alone rather than nothing.
      if (mode() !== "video" || err?.name !== "NotFoundError") throw err;
      stream = await navigator.mediaDevices.getUserMedia({ video, audio: false });
    }
  } catch (err) {
    stream = null;
    say(status, "error", cameraError(err));
    showButtons();
    return;
  }
  const viewfinder = $("viewfinder");
  viewfinder.srcObject = stream;
  try {
    await viewfinder.play();
  } catch {
    // Autoplay of a muted stream is allowed; a refusal shows a still frame.
  }
  say(status, "ok", t(mode() === "photo" ? "capture.readyPhoto" : "capture.readyVideo"));
  showButtons();
  ($("shutter").hidden ? $("record") : $("shutter")).focus();
}

function cameraError(err) {
  switch (err?.name) {
    case "NotAllowedError":
    case "SecurityError":
      return t("capture.err.denied");
    case "NotFoundError":
    case "OverconstrainedError":
      return t("capture.err.absent");
    case "NotReadableError":
    case "AbortError":
      return t("capture.err.busy");
    default:
      return t("capture.err.other", { message: err?.message ?? String(err) });
  }
}

function stopCamera() {
  if (recorder && recorder.state !== "inactive") recorder.stop();
  for (const track of stream?.getTracks() ?? []) track.stop();
  stream = null;
  $("viewfinder").srcObject = null;
  showButtons();
}

async function takePhoto() {
  const video = $("viewfinder");
  if (!video.videoWidth) {
    say($("capture-status"), "error", t("capture.err.noFrame"));
    return;
  }
  const at = new Date();
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", jpegQuality));
  if (!blob) {
    say($("capture-status"), "error", t("capture.err.noFrame"));
    return;
  }
  await keep(blob, "photo", at);
}

function toggleRecording() {
  if (recorder && recorder.state === "recording") {
    recorder.stop();
    return;
  }
  if (typeof MediaRecorder === "undefined") {
    say($("capture-status"), "error", t("capture.err.noRecorder"));
    return;
  }
  const type = ["video/webm;codecs=vp9,opus", "video/webm;codecs=vp8,opus", "video/webm"].find((m) => MediaRecorder.isTypeSupported(m));
  if (!type) {
    say($("capture-status"), "error", t("capture.err.noRecorder"));
    return;
  }
  const chunks = [];
  const at = new Date();
  recorder = new MediaRecorder(stream, { mimeType: type });
  recorder.ondataavailable = (e) => e.data.size > 0 && chunks.push(e.data);
  recorder.onstop = () => {
    clearInterval(recordTimer);
    $("record-time").hidden = true;
    $("record").textContent = t("capture.record");
    $("record").classList.remove("recording");
    keep(new Blob(chunks, { type: "video/webm" }), "video", at);
  };
  recorder.start(1000);
  $("record").textContent = t("capture.recordStop");
  $("record").classList.add("recording");
  const shown = $("record-time");
  shown.hidden = false;
  const tick = () => {
    const s = Math.floor((Date.now() - at.getTime()) / 1000);
    shown.textContent = t("capture.recording", { seconds: s, max: maxRecording });
    if (s >= maxRecording && recorder.state === "recording") recorder.stop();
  };
  tick();
  recordTimer = setInterval(tick, 500);
}

// The place, read only with the user's consent. Resolves with
// {latitude, longitude, accuracy}.
function locate() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) {
      reject(new PageError("capture.err.noLocation"));
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (pos) => resolve({ latitude: pos.coords.latitude, longitude: pos.coords.longitude, accuracy: pos.coords.accuracy }),
      (err) => reject(new PageError(err.code === err.PERMISSION_DENIED ? "capture.err.locationDenied" : "capture.err.locationFailed")),
      { enableHighAccuracy: true, timeout: locationTimeout, maximumAge: 30000 },
    );
  });
}

/** The browser's and the device's description, as short as will do. */
async function deviceSummary() {
  const ua = navigator.userAgentData;
  if (ua) {
    let model = "";
    let platformVersion = "";
    try {
      ({ model = "", platformVersion = "" } = await ua.getHighEntropyValues(["model", "platformVersion"]));
    } catch {
      // The low-entropy values suffice.
    }
    // Brands list a made-up "Not A Brand" among the real ones.
    const real = (ua.brands ?? []).filter((b) => !/not.*brand/i.test(b.brand));
    const brand = real.find((b) => b.brand !== "Chromium") ?? real[0];
    const parts = [model, `${ua.platform} ${platformVersion}`.trim(), brand ? `${brand.brand} ${brand.version}` : "", ua.mobile ? "mobile" : ""];
    return parts.filter(Boolean).join(", ").slice(0, 200);
  }
  const s = navigator.userAgent;
  const platform = /\(([^)]*)\)/.exec(s)?.[1] ?? "";
  return [platform, s.split(" ").pop()].filter(Boolean).join(", ").slice(0, 200);
}

const pad = (n, w = 2) => String(n).padStart(w, "0");

/** The device clock's time in RFC 3339, with the device's UTC offset. */
function localISO(d) {
  const off = -d.getTimezoneOffset();
  const a = Math.abs(off);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` +
    `.${pad(d.getMilliseconds(), 3)}${off >= 0 ? "+" : "-"}${pad(Math.floor(a / 60))}:${pad(a % 60)}`
  );
}

function fileName(kind, d) {
  const stamp = `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
  return kind === "photo" ? `photo-${stamp}.jpg` : `video-${stamp}.webm`;
}

// keep shows what was captured and deposits it, original included.
async function keep(blob, kind, at) {
  const result = $("capture-result");
  const status = $("capture-deposit-status");
  const title = fileName(kind, at);
  const capture = { time: localISO(at), device: await deviceSummary() };
  const address = $("capture-address").value.trim();
  if (address) capture.address = address;
  let locationNote = t("capture.noLocation");
  if ($("consent-location").checked) {
    try {
      const loc = await locate();
      capture.latitude = loc.latitude;
      capture.longitude = loc.longitude;
      locationNote = t("capture.located", { latitude: loc.latitude, longitude: loc.longitude, accuracy: Math.round(loc.accuracy ?? 0) });
    } catch (err) {
      // The photo is taken: deposit it, saying that the place is missing.
      locationNote = explain(err);
    }
  }
  const caseRef = $("capture-case").value.trim();
  const metadata = { title, media_type: blob.type.split(";")[0] || (kind === "photo" ? "image/jpeg" : "video/webm"), capture };
  if (caseRef) metadata.case_ref = caseRef;

  const url = URL.createObjectURL(blob);
  replace(
    $("preview"),
    kind === "photo"
      ? el("img", { src: url, class: "preview", alt: t("capture.previewPhoto", { time: formatTime(at) }) })
      : el("video", { src: url, class: "preview", controls: true, playsinline: true, "aria-label": t("capture.previewVideo", { time: formatTime(at) }) }),
    el(
      "p",
      {},
      el("button", { type: "button", id: "save-capture", text: t("capture.save", { file: title }), onclick: () => download(title, blob, metadata.media_type) }),
    ),
  );
  replace(
    $("capture-facts"),
    el("dt", { i18n: "capture.fact.time" }),
    el("dd", { text: capture.time }),
    el("dt", { i18n: "capture.fact.device" }),
    el("dd", { text: capture.device }),
    el("dt", { i18n: "capture.fact.location" }),
    el("dd", { id: "capture-location", text: locationNote }),
  );
  replace($("capture-receipt"));
  result.hidden = false;
  result.focus();
  const state = {};
  const run = async () => {
    replace($("capture-receipt"));
    const bar = $("capture-progress");
    const label = $("capture-progress-label");
    try {
      await depositBlob({
        session,
        suite,
        origin,
        blob,
        metadata,
        upload: true,
        state,
        onStage: (stage, done, total) => {
          label.textContent = t("deposits.stage." + stage, { file: title });
          if (total !== undefined) {
            bar.max = total || 1;
            bar.value = done;
          }
        },
      });
      label.textContent = t("deposits.stage.done");
      bar.value = bar.max;
      status.hidden = true;
      replace($("capture-receipt"), resultView(state, title));
    } catch (err) {
      say(status, "error", explain(err));
      replace($("capture-receipt"), el("button", { type: "button", class: "retry", i18n: "common.retry", onclick: run }));
    }
  };
  await run();
}
