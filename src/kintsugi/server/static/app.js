// kintsugi page: open an image, paint the mask, repair on the server, compare, save.
// No dependencies and no build step. The mask is a Uint8Array at image resolution painted with
// hard-edged discs (canvas paths would anti-alias, and a half-covered pixel would be ambiguous
// to the server); the view only draws it.
"use strict";

const $ = (id) => document.getElementById(id);

const MASK_RGBA = [255, 0, 200, 255]; // magenta: stays visible over green paint
const MASK_OPACITY = 0.55;
const MIN_SCALE = 0.02;
const MAX_SCALE = 32;
const UNDO_BUDGET_BYTES = 256 * 1024 * 1024; // undo patches beyond this are forgotten, oldest first

const state = {
  info: { max_upload_bytes: Infinity, max_pixels: null, detect_mosaic: false },
  file: null, // the Blob as opened: sent unchanged to the server, so the repair sees its exact pixels
  name: "image",
  width: 0,
  height: 0,
  source: null, // ImageBitmap of the original
  result: null, // ImageBitmap of the last repair
  resultUrl: null,
  mask: null, // Uint8Array width*height, 1 = hole
  overlay: null, // canvas at image size: the mask, coloured
  undo: [],
  redo: [],
  view: { scale: 1, x: 0, y: 0 }, // client px = image px * scale + offset (CSS pixels)
  tool: "brush",
  brush: 24,
  showOriginal: false,
  spaceHeld: false,
  busy: false,
  pointer: null, // last pointer position over the canvas, in CSS px relative to it
  stroke: null, // {value, before, x0, y0, x1, y1, last}
  pan: null, // {x, y, viewX, viewY}
};

const canvas = $("canvas");
const ctx = canvas.getContext("2d");

// ------------------------------------------------------------------------------------------
// Mask editing (pure functions on the Uint8Array)

// Set every pixel whose centre lies within radius r of (cx, cy) to value; returns the bbox touched.
function stampDisc(mask, width, height, { cx, cy, r, value }) {
  const y0 = Math.max(0, Math.floor(cy - r));
  const y1 = Math.min(height - 1, Math.ceil(cy + r));
  let box = null;
  for (let y = y0; y <= y1; y++) {
    const dy = y + 0.5 - cy;
    if (dy * dy > r * r) continue;
    const half = Math.sqrt(r * r - dy * dy);
    const x0 = Math.max(0, Math.ceil(cx - half - 0.5));
    const x1 = Math.min(width - 1, Math.floor(cx + half - 0.5));
    if (x1 < x0) continue;
    mask.fill(value, y * width + x0, y * width + x1 + 1);
    box = growBox(box, { x0, y0: y, x1, y1: y });
  }
  return box;
}

// Discs along the segment, close enough together that the union has no gaps.
function stampLine(mask, width, height, { from, to, r, value }) {
  const dist = Math.hypot(to.x - from.x, to.y - from.y);
  const steps = Math.max(1, Math.ceil(dist / Math.max(0.5, r * 0.25)));
  let box = null;
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    const cx = from.x + (to.x - from.x) * t;
    const cy = from.y + (to.y - from.y) * t;
    box = growBox(box, stampDisc(mask, width, height, { cx, cy, r, value }));
  }
  return box;
}

function growBox(a, b) {
  if (!a) return b;
  if (!b) return a;
  return { x0: Math.min(a.x0, b.x0), y0: Math.min(a.y0, b.y0), x1: Math.max(a.x1, b.x1), y1: Math.max(a.y1, b.y1) };
}

function copyRect(mask, width, box) {
  const w = box.x1 - box.x0 + 1;
  const out = new Uint8Array(w * (box.y1 - box.y0 + 1));
  for (let y = box.y0; y <= box.y1; y++) {
    out.set(mask.subarray(y * width + box.x0, y * width + box.x1 + 1), (y - box.y0) * w);
  }
  return out;
}

function pasteRect(mask, width, box, data) {
  const w = box.x1 - box.x0 + 1;
  for (let y = box.y0; y <= box.y1; y++) {
    mask.set(data.subarray((y - box.y0) * w, (y - box.y0 + 1) * w), y * width + box.x0);
  }
}

// ------------------------------------------------------------------------------------------
// Undo/redo: each entry is the rectangle a change touched, before and after.

function pushUndo(box, before, after) {
  state.undo.push({ box, before, after });
  state.redo = [];
  let bytes = state.undo.reduce((sum, e) => sum + e.before.length * 2, 0);
  while (bytes > UNDO_BUDGET_BYTES && state.undo.length > 1) {
    bytes -= state.undo.shift().before.length * 2;
  }
  updateButtons();
}

function undoRedo(from, to, key) {
  const entry = from.pop();
  if (!entry) return;
  pasteRect(state.mask, state.width, entry.box, entry[key]);
  to.push(entry);
  refreshOverlay(entry.box);
  updateButtons();
}

const undo = () => undoRedo(state.undo, state.redo, "before");
const redo = () => undoRedo(state.redo, state.undo, "after");

// Replace the whole mask in one undoable step (green paint, detection, clear).
function replaceMask(next) {
  const box = { x0: 0, y0: 0, x1: state.width - 1, y1: state.height - 1 };
  const before = state.mask.slice();
  state.mask.set(next);
  pushUndo(box, before, next.slice());
  refreshOverlay(box);
}

function maskCount() {
  let n = 0;
  for (let i = 0; i < state.mask.length; i++) n += state.mask[i];
  return n;
}

// ------------------------------------------------------------------------------------------
// Drawing

function refreshOverlay(box) {
  const w = box.x1 - box.x0 + 1;
  const h = box.y1 - box.y0 + 1;
  const pixels = new ImageData(w, h);
  const data = pixels.data;
  for (let y = 0; y < h; y++) {
    let i = (box.y0 + y) * state.width + box.x0;
    let o = y * w * 4;
    for (let x = 0; x < w; x++, i++, o += 4) {
      if (state.mask[i]) {
        data[o] = MASK_RGBA[0];
        data[o + 1] = MASK_RGBA[1];
        data[o + 2] = MASK_RGBA[2];
        data[o + 3] = MASK_RGBA[3];
      }
    }
  }
  state.overlay.getContext("2d").putImageData(pixels, box.x0, box.y0);
  requestRender();
}

let renderQueued = false;
function requestRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function showingResult() {
  return state.result !== null && !(state.showOriginal || state.spaceHeld);
}

function render() {
  const dpr = window.devicePixelRatio || 1;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!state.source) return;
  const { scale, x, y } = state.view;
  ctx.setTransform(dpr * scale, 0, 0, dpr * scale, dpr * x, dpr * y);
  // Smooth up to 2x; beyond, sharp pixels, which is what one paints against close up.
  ctx.imageSmoothingEnabled = scale < 2;
  if (showingResult()) {
    ctx.drawImage(state.result, 0, 0);
  } else {
    ctx.drawImage(state.source, 0, 0);
    ctx.globalAlpha = MASK_OPACITY;
    ctx.drawImage(state.overlay, 0, 0);
    ctx.globalAlpha = 1;
  }
  drawBrushCursor(dpr);
}

function drawBrushCursor(dpr) {
  if (!state.pointer || state.tool === "hand" || state.pan) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  const radius = Math.max(1, (state.brush / 2) * state.view.scale);
  ctx.beginPath();
  ctx.arc(state.pointer.x, state.pointer.y, radius, 0, Math.PI * 2);
  ctx.lineWidth = 1;
  ctx.strokeStyle = "rgba(0,0,0,0.8)";
  ctx.stroke();
  ctx.beginPath();
  ctx.arc(state.pointer.x, state.pointer.y, radius + 1, 0, Math.PI * 2);
  ctx.strokeStyle = state.tool === "eraser" ? "rgba(120,200,255,0.9)" : "rgba(255,255,255,0.9)";
  ctx.stroke();
}

function resizeCanvas() {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.max(1, Math.round(canvas.clientWidth * dpr));
  canvas.height = Math.max(1, Math.round(canvas.clientHeight * dpr));
  requestRender();
}

// ------------------------------------------------------------------------------------------
// View: zoom and pan

function setView(scale, x, y) {
  state.view = { scale: Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale)), x, y };
  $("zoom-value").textContent = `${Math.round(state.view.scale * 100)}%`;
  requestRender();
}

function fitView() {
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  const scale = Math.min(w / state.width, h / state.height) * 0.95;
  setView(scale, (w - state.width * scale) / 2, (h - state.height * scale) / 2);
}

function zoomAt(px, py, factor) {
  const { scale, x, y } = state.view;
  const next = Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale * factor));
  // Keep the image point under the cursor where it is.
  setView(next, px - ((px - x) * next) / scale, py - ((py - y) * next) / scale);
}

function toImage(px, py) {
  const { scale, x, y } = state.view;
  return { x: (px - x) / scale, y: (py - y) / scale };
}

function localPoint(event) {
  const rect = canvas.getBoundingClientRect();
  return { x: event.clientX - rect.left, y: event.clientY - rect.top };
}

// ------------------------------------------------------------------------------------------
// Pointer input

function onPointerDown(event) {
  if (!state.source) return;
  const point = localPoint(event);
  canvas.setPointerCapture(event.pointerId);
  if (event.button === 1 || event.button === 2 || state.tool === "hand") {
    state.pan = { x: point.x, y: point.y, viewX: state.view.x, viewY: state.view.y };
    event.preventDefault();
    return;
  }
  if (event.button !== 0) return;
  if (showingResult()) state.showOriginal = true; // one paints on the original, so show it
  updateCompareButton();
  const at = toImage(point.x, point.y);
  state.stroke = { value: state.tool === "eraser" ? 0 : 1, before: state.mask.slice(), box: null, last: at };
  paintTo(at);
}

function onPointerMove(event) {
  state.pointer = localPoint(event);
  if (state.pan) {
    const { x, y, viewX, viewY } = state.pan;
    setView(state.view.scale, viewX + state.pointer.x - x, viewY + state.pointer.y - y);
    return;
  }
  if (state.stroke) {
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const e of events.length ? events : [event]) {
      const p = localPoint(e);
      paintTo(toImage(p.x, p.y));
    }
  }
  requestRender();
}

function paintTo(at) {
  const stroke = state.stroke;
  const box = stampLine(state.mask, state.width, state.height, {
    from: stroke.last,
    to: at,
    r: state.brush / 2,
    value: stroke.value,
  });
  stroke.last = at;
  if (box) {
    stroke.box = growBox(stroke.box, box);
    refreshOverlay(box);
  }
}

function onPointerUp(event) {
  if (canvas.hasPointerCapture(event.pointerId)) canvas.releasePointerCapture(event.pointerId);
  state.pan = null;
  const stroke = state.stroke;
  state.stroke = null;
  if (stroke && stroke.box) {
    pushUndo(stroke.box, copyRect(stroke.before, state.width, stroke.box), copyRect(state.mask, state.width, stroke.box));
  }
  requestRender();
}

function onWheel(event) {
  if (!state.source) return;
  event.preventDefault();
  const point = localPoint(event);
  zoomAt(point.x, point.y, Math.exp(-event.deltaY * 0.0015));
}

// ------------------------------------------------------------------------------------------
// Server calls. XMLHttpRequest rather than fetch: it reports upload progress, which is most
// of the wait for a large page on a slow disk or network.

function send(url, form, label) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.responseType = "blob";
    const started = performance.now();
    setStatus(`${label}…`, { busy: true });
    const tick = setInterval(() => {
      if (xhr.readyState === XMLHttpRequest.DONE) return;
      setStatus(`${label}… ${((performance.now() - started) / 1000).toFixed(1)} s`, { busy: true });
    }, 200);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.loaded < e.total) {
        setStatus(`Uploading… ${Math.round((e.loaded / e.total) * 100)}%`, { busy: true });
      }
    };
    xhr.onload = async () => {
      clearInterval(tick);
      if (xhr.status === 200) {
        resolve({ blob: xhr.response, header: (name) => xhr.getResponseHeader(name) });
      } else {
        reject(new Error(await errorText(xhr)));
      }
    };
    xhr.onerror = () => {
      clearInterval(tick);
      reject(new Error("the kintsugi server did not answer (is `kintsugi serve` still running?)"));
    };
    xhr.send(form);
  });
}

async function errorText(xhr) {
  try {
    const body = JSON.parse(await xhr.response.text());
    return body.error || `HTTP ${xhr.status}`;
  } catch {
    return `HTTP ${xhr.status}`;
  }
}

function imageForm() {
  const form = new FormData();
  form.append("image", state.file, "image");
  return form;
}

// White = hole, opaque elsewhere: the format POST /api/repair reads.
function maskBlob() {
  const c = document.createElement("canvas");
  c.width = state.width;
  c.height = state.height;
  const pixels = new ImageData(state.width, state.height);
  const data = pixels.data;
  for (let i = 0, o = 0; i < state.mask.length; i++, o += 4) {
    const v = state.mask[i] ? 255 : 0;
    data[o] = data[o + 1] = data[o + 2] = v;
    data[o + 3] = 255;
  }
  c.getContext("2d").putImageData(pixels, 0, 0);
  return new Promise((resolve) => c.toBlob(resolve, "image/png"));
}

// Mask PNG from the server -> Uint8Array (white = hole).
async function decodeMask(blob) {
  const bitmap = await createImageBitmap(blob, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  if (bitmap.width !== state.width || bitmap.height !== state.height) {
    throw new Error(
      `the server reads this image as ${bitmap.width}×${bitmap.height} but the browser as ` +
        `${state.width}×${state.height} (EXIF rotation?); save it as PNG and open that`,
    );
  }
  const c = document.createElement("canvas");
  c.width = bitmap.width;
  c.height = bitmap.height;
  const g = c.getContext("2d", { willReadFrequently: true });
  g.drawImage(bitmap, 0, 0);
  const data = g.getImageData(0, 0, c.width, c.height).data;
  const mask = new Uint8Array(c.width * c.height);
  for (let i = 0; i < mask.length; i++) mask[i] = data[i * 4] >= 128 ? 1 : 0;
  return mask;
}

// ------------------------------------------------------------------------------------------
// Actions

async function openFile(file) {
  if (!file || state.busy) return;
  if (file.size > state.info.max_upload_bytes) {
    setStatus(`${file.name} is ${mb(file.size)} MB; this server accepts at most ${mb(state.info.max_upload_bytes)} MB`, { error: true });
    return;
  }
  await busy(async () => {
    setStatus(`Opening ${file.name}…`, { busy: true });
    let bitmap;
    try {
      bitmap = await createImageBitmap(file);
    } catch {
      throw new Error(`${file.name}: your browser cannot display this file; open a PNG, JPEG or WebP`);
    }
    const pixels = bitmap.width * bitmap.height;
    if (state.info.max_pixels && pixels > state.info.max_pixels) {
      throw new Error(
        `${file.name} has ${pixels.toLocaleString()} pixels; this server accepts at most ` +
          `${state.info.max_pixels.toLocaleString()} (see kintsugi serve --max-pixels)`,
      );
    }
    resetImage(file, bitmap);
    const green = await send("/api/green-mask", imageForm(), "Looking for green paint");
    const mask = await decodeMask(green.blob);
    const found = Number(green.header("X-Kintsugi-Hole-Pixels") || 0);
    if (found) replaceMask(mask);
    state.undo = []; // the green paint is the starting point, not an edit to undo
    updateButtons();
    const what = found ? `green paint as mask: ${green.header("X-Kintsugi-Message")}` : "paint over what to repair";
    setStatus(`${file.name}, ${state.width}×${state.height}: ${what}.`);
  });
}

function resetImage(file, bitmap) {
  if (state.resultUrl) URL.revokeObjectURL(state.resultUrl);
  Object.assign(state, {
    file,
    name: file.name.replace(/\.[^.]*$/, "") || "image",
    width: bitmap.width,
    height: bitmap.height,
    source: bitmap,
    result: null,
    resultUrl: null,
    mask: new Uint8Array(bitmap.width * bitmap.height),
    undo: [],
    redo: [],
    showOriginal: false,
  });
  state.overlay = document.createElement("canvas");
  state.overlay.width = bitmap.width;
  state.overlay.height = bitmap.height;
  $("empty").hidden = true;
  fitView();
  updateButtons();
}

async function detectMosaic() {
  await busy(async () => {
    const found = await send("/api/detect-mosaic", imageForm(), "Detecting mosaics");
    const mask = await decodeMask(found.blob);
    if (!Number(found.header("X-Kintsugi-Hole-Pixels") || 0)) {
      setStatus("No mosaic found; the mask is unchanged.");
      return;
    }
    replaceMask(mask);
    const mosaic = [...$("method").options].find((o) => o.dataset.kind === "mosaic" && o.dataset.default === "true");
    if (mosaic) $("method").value = mosaic.value; // a detected mosaic wants a mosaic method
    setStatus(`Mosaic: ${found.header("X-Kintsugi-Message")}. Method set to ${$("method").value}.`);
  });
}

async function repair() {
  if (!maskCount()) {
    setStatus("The mask is empty: paint over what should be repaired first.", { error: true });
    return;
  }
  await busy(async () => {
    const form = imageForm();
    form.append("mask", await maskBlob(), "mask.png");
    form.append("method", $("method").value);
    const answer = await send("/api/repair", form, `Repairing with ${$("method").value}`);
    const bitmap = await createImageBitmap(answer.blob);
    if (state.resultUrl) URL.revokeObjectURL(state.resultUrl);
    state.result = bitmap;
    state.resultUrl = URL.createObjectURL(answer.blob);
    state.showOriginal = false;
    $("save").href = state.resultUrl;
    $("save").download = `${state.name}.repaired.png`;
    updateButtons();
    requestRender();
    const seconds = Number(answer.header("X-Kintsugi-Seconds"));
    const took = seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${seconds.toFixed(1)} s`;
    setStatus(`Repaired in ${took}. Hold Space to compare; Save PNG keeps transparency.`);
  });
}

async function busy(work) {
  state.busy = true;
  updateButtons();
  try {
    await work();
  } catch (error) {
    setStatus(error.message, { error: true });
  } finally {
    state.busy = false;
    updateButtons();
  }
}

// ------------------------------------------------------------------------------------------
// UI state

function setStatus(text, { busy = false, error = false } = {}) {
  const status = $("status");
  status.textContent = error ? `Error: ${text}` : text;
  status.className = error ? "error" : "";
  $("spinner").hidden = !busy;
}

function updateButtons() {
  const open = state.source !== null;
  const idle = !state.busy;
  $("undo").disabled = !open || !state.undo.length;
  $("redo").disabled = !open || !state.redo.length;
  $("clear").disabled = !open;
  $("detect").disabled = !open || !idle || !state.info.detect_mosaic;
  $("zoom-fit").disabled = !open;
  $("zoom-1").disabled = !open;
  $("run").disabled = !open || !idle;
  $("file").disabled = !idle;
  $("save").classList.toggle("disabled", state.result === null);
  $("save").setAttribute("aria-disabled", String(state.result === null));
  updateCompareButton();
}

function updateCompareButton() {
  $("compare").disabled = state.result === null;
  $("compare").textContent = showingResult() || state.result === null ? "Show original" : "Show result";
}

function setTool(tool) {
  state.tool = tool;
  for (const name of ["brush", "eraser", "hand"]) $(`tool-${name}`).classList.toggle("active", name === tool);
  canvas.className = tool === "hand" ? "hand" : "paint";
  requestRender();
}

function setBrush(size) {
  state.brush = Math.min(300, Math.max(1, Math.round(size)));
  $("brush-size").value = state.brush;
  $("brush-size-value").textContent = state.brush;
  requestRender();
}

function mb(bytes) {
  return (bytes / 1e6).toFixed(1);
}

async function loadMethods() {
  const select = $("method");
  const [info, listing] = await Promise.all([getJson("/api/info"), getJson("/api/methods")]);
  state.info = info;
  const groups = { inpaint: "Inpaint: invent what is under the mask", mosaic: "Mosaic: restore a pixelated area" };
  for (const [kind, label] of Object.entries(groups)) {
    const group = document.createElement("optgroup");
    group.label = label;
    for (const m of listing.methods.filter((x) => x.kind === kind)) {
      const option = new Option(m.default ? `${m.name} (default)` : m.name, m.name);
      option.title = m.description;
      option.dataset.kind = m.kind;
      option.dataset.default = String(m.default);
      group.append(option);
      if (m.default && kind === "inpaint") option.selected = true;
    }
    if (group.children.length) select.append(group);
  }
  $("detect").title = info.detect_mosaic ? $("detect").title : "Mosaic detection is not available in this installation";
}

async function getJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

function onKey(event) {
  if (event.target.tagName === "INPUT" && event.target.type !== "range") return;
  if (event.target.tagName === "SELECT") return;
  const key = event.key.toLowerCase();
  const mod = event.ctrlKey || event.metaKey;
  if (event.type === "keyup") {
    if (key === " ") {
      event.preventDefault(); // a focused button would otherwise be clicked on release
      state.spaceHeld = false;
      updateCompareButton();
      requestRender();
    }
    return;
  }
  if (key === " ") {
    event.preventDefault(); // no page scroll, no button press
    if (!event.repeat && state.result) {
      state.spaceHeld = true;
      state.showOriginal = false; // Space always flips result -> original while held
      updateCompareButton();
      requestRender();
    }
  } else if (mod && key === "z") {
    event.preventDefault();
    (event.shiftKey ? redo : undo)();
  } else if (mod && key === "y") {
    event.preventDefault();
    redo();
  } else if (mod && key === "s") {
    event.preventDefault();
    if (state.result) $("save").click();
  } else if (mod && key === "enter") {
    if (!$("run").disabled) repair();
  } else if (!mod && state.source) {
    const actions = {
      b: () => setTool("brush"),
      e: () => setTool("eraser"),
      h: () => setTool("hand"),
      "[": () => setBrush(state.brush / 1.25),
      "]": () => setBrush(state.brush * 1.25 + 1),
      f: fitView,
      1: () => zoomAt(canvas.clientWidth / 2, canvas.clientHeight / 2, 1 / state.view.scale),
    };
    if (actions[key]) actions[key]();
  }
}

function wireDrop() {
  let depth = 0; // dragenter/leave fire for every child element crossed
  window.addEventListener("dragenter", (e) => {
    e.preventDefault();
    depth++;
    $("drop").hidden = false;
  });
  window.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (!depth) $("drop").hidden = true;
  });
  window.addEventListener("dragover", (e) => e.preventDefault());
  window.addEventListener("drop", (e) => {
    e.preventDefault();
    depth = 0;
    $("drop").hidden = true;
    openFile(e.dataTransfer.files[0]);
  });
}

function wire() {
  $("file").addEventListener("change", (e) => {
    openFile(e.target.files[0]);
    e.target.value = ""; // opening the same file again still fires change
  });
  $("tool-brush").onclick = () => setTool("brush");
  $("tool-eraser").onclick = () => setTool("eraser");
  $("tool-hand").onclick = () => setTool("hand");
  $("brush-size").oninput = (e) => setBrush(Number(e.target.value));
  $("undo").onclick = undo;
  $("redo").onclick = redo;
  $("clear").onclick = () => replaceMask(new Uint8Array(state.mask.length));
  $("detect").onclick = detectMosaic;
  $("zoom-fit").onclick = fitView;
  $("zoom-1").onclick = () => zoomAt(canvas.clientWidth / 2, canvas.clientHeight / 2, 1 / state.view.scale);
  $("run").onclick = repair;
  $("compare").onclick = () => {
    state.showOriginal = showingResult();
    updateCompareButton();
    requestRender();
  };
  canvas.addEventListener("pointerdown", onPointerDown);
  canvas.addEventListener("pointermove", onPointerMove);
  canvas.addEventListener("pointerup", onPointerUp);
  canvas.addEventListener("pointercancel", onPointerUp);
  canvas.addEventListener("pointerleave", () => {
    state.pointer = null;
    requestRender();
  });
  canvas.addEventListener("wheel", onWheel, { passive: false });
  canvas.addEventListener("contextmenu", (e) => e.preventDefault());
  window.addEventListener("keydown", onKey);
  window.addEventListener("keyup", onKey);
  window.addEventListener("blur", () => {
    state.spaceHeld = false; // a key released in another window never sends keyup here
    requestRender();
  });
  new ResizeObserver(resizeCanvas).observe($("viewport"));
  wireDrop();
}

// For tests and debugging: image coordinates <-> page coordinates, and the mask size.
window.kintsugi = {
  imageToClient(x, y) {
    const rect = canvas.getBoundingClientRect();
    return { x: rect.left + state.view.x + x * state.view.scale, y: rect.top + state.view.y + y * state.view.scale };
  },
  maskCount: () => (state.mask ? maskCount() : 0),
  get busy() {
    return state.busy;
  },
  get hasResult() {
    return state.result !== null;
  },
};

wire();
setTool("brush");
loadMethods().then(
  () => setStatus("Ready. Open an image, or drop one here."),
  (error) => setStatus(`cannot reach the kintsugi server: ${error.message}`, { error: true }),
);
