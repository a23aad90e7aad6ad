// kintsugi page: open images (several, or a folder), paint or import masks, detect censors,
// repair on the server again and again (each result is the next base), compare, save one or
// all. No dependencies and no build step; ES modules served by the kintsugi server.

import { getJson, imageForm, sendRetrying } from "./api.js";
import { decoded, Document, isImageFile, releasePixels, renderList, restorePixels, thumbnail } from "./documents.js";
import { wireInput } from "./input.js";
import { maskFromBlob, maskToBlob, packMask, pasteRect, unpackMask } from "./mask.js";
import { View } from "./view.js";
import { defaultMethod, detectActive, download, repairActive, repairAll, saveActive, saveAll } from "./work.js";

const $ = (id) => document.getElementById(id);

export const state = {
  info: { max_upload_bytes: Infinity, max_pixels: null, detect_mosaic: false },
  docs: [],
  doc: null, // the active document
  tool: "brush",
  brush: 24,
  busy: false,
};

export const view = new View($("canvas"), (scale) => {
  $("zoom-value").textContent = `${Math.round(scale * 100)}%`;
});

// ------------------------------------------------------------------------------------------
// Documents

async function openFiles(fileList) {
  if (state.busy) return;
  const files = [...fileList].filter(isImageFile);
  if (!files.length) {
    setStatus("No images among the files given (PNG, JPEG, WebP, BMP).", { error: true });
    return;
  }
  const docs = files.map((file) => new Document(file));
  state.docs.push(...docs);
  updateList();
  await select(docs[0]);
  // Thumbnails of the others, one at a time (a folder of hundreds must not decode them all at
  // once), while the user works on the first.
  (async () => {
    for (const doc of docs.slice(1)) {
      try {
        const bitmap = await createImageBitmap(doc.file, { resizeWidth: 56, resizeQuality: "low" });
        doc.thumbUrl = doc.thumbUrl || (await thumbnail(bitmap));
        updateList();
      } catch {
        // shown as an error when the file is opened
      }
    }
  })();
}

// Decode the file and find its green paint (the starting mask). Shared by concurrent callers.
export function load(doc) {
  if (!doc.loading) {
    doc.loading = loadNow(doc).catch((error) => {
      doc.loading = null;
      doc.state = "error";
      doc.note = error.message;
      updateList();
      throw error;
    });
  }
  return doc.loading;
}

async function loadNow(doc) {
  if (doc.file.size > state.info.max_upload_bytes) {
    throw new Error(`${doc.fileName} is ${mb(doc.file.size)} MB; this server accepts at most ${mb(state.info.max_upload_bytes)} MB`);
  }
  doc.state = "loading";
  updateList();
  let bitmap;
  try {
    bitmap = await createImageBitmap(doc.file);
  } catch {
    throw new Error(`${doc.fileName}: your browser cannot display this file; open a PNG, JPEG or WebP`);
  }
  const pixels = bitmap.width * bitmap.height;
  if (state.info.max_pixels && pixels > state.info.max_pixels) {
    throw new Error(`${doc.fileName} has ${pixels.toLocaleString()} pixels; this server accepts at most ${state.info.max_pixels.toLocaleString()} (see --max-pixels)`);
  }
  Object.assign(doc, { width: bitmap.width, height: bitmap.height, original: bitmap });
  doc.base = { bitmap, blob: doc.file };
  doc.mask = new Uint8Array(pixels);
  doc.overlay = document.createElement("canvas");
  doc.overlay.width = bitmap.width;
  doc.overlay.height = bitmap.height;
  doc.thumbUrl = doc.thumbUrl || (await thumbnail(bitmap));
  const green = await sendRetrying("/api/green-mask", () => imageForm(doc.file), stage(`${doc.fileName}: looking for green paint`));
  if (Number(green.header("X-Kintsugi-Hole-Pixels") || 0)) {
    // The paint is the starting point, not an edit to undo.
    doc.mask.set(await maskFromBlob(green.blob, { width: doc.width, height: doc.height, what: "the green mask" }));
    doc.note = "green paint";
    view.refreshOverlay(doc, fullBox(doc));
  }
  doc.loaded = true;
  doc.state = "open";
  updateList();
}

async function select(doc) {
  if (state.busy && doc !== state.doc) return;
  if (state.doc && state.doc !== doc) releasePixels(state.doc);
  state.doc = doc;
  view.doc = null; // nothing drawn until it is decoded
  view.showOriginal = false;
  updateList();
  updateButtons();
  await busy(async () => {
    await load(doc);
    if (await restorePixels(doc)) view.refreshOverlay(doc, fullBox(doc));
    view.doc = doc;
    $("empty").hidden = true;
    // The method chosen for this file (by the user, or by detection), else the default.
    $("method").value = doc.method || defaultMethod("inpaint");
    view.fit();
    const what = doc.marked ? `${doc.note || "marks"} as mask` : "paint over what to repair";
    setStatus(`${doc.fileName}, ${doc.width}×${doc.height}: ${what}.`);
  });
}

export function updateList() {
  renderList($("file-list"), { docs: state.docs, active: state.doc, onSelect: select });
  $("files").hidden = state.docs.length === 0;
  $("file-count").textContent = state.docs.length > 1 ? `${state.docs.length} files` : "";
}

// ------------------------------------------------------------------------------------------
// Mask edits (undoable)

export const fullBox = (doc) => ({ x0: 0, y0: 0, x1: doc.width - 1, y1: doc.height - 1 });

export function replaceMask(doc, next, { note = "" } = {}) {
  const box = fullBox(doc);
  doc.history.push({ type: "mask-full", before: packMask(doc.mask), after: packMask(next) });
  doc.mask.set(next);
  doc.note = note;
  view.refreshOverlay(doc, box);
  afterEdit(doc);
}

export function afterEdit(doc) {
  if (doc.state === "nothing") doc.state = "open";
  updateList();
  updateButtons();
}

// Steps run one after another: an undo that decodes an image again finishes before the next
// key press is applied, and none is lost.
let steps = Promise.resolve();

export function undoRedo(backwards) {
  steps = steps.then(() => stepHistory(backwards)).catch((error) => setStatus(error.message, { error: true }));
  return steps;
}

async function stepHistory(backwards) {
  const doc = state.doc;
  if (!doc || state.busy) return;
  const step = doc.history.step(backwards);
  if (!step) return;
  const { entry, side } = step;
  if (entry.type === "mask") {
    pasteRect(doc.mask, doc.width, entry.box, entry[side]);
    view.refreshOverlay(doc, entry.box);
  } else if (entry.type === "mask-full") {
    unpackMask(entry[side], doc.mask);
    doc.note = ""; // where the marks came from is no longer known
    view.refreshOverlay(doc, fullBox(doc));
  } else {
    const target = entry[side];
    await decoded(target.image); // released while another file was active: decoded again
    doc.base = target.image;
    if (target.mask) unpackMask(target.mask, doc.mask);
    else doc.mask.fill(0);
    doc.regions = target.regions;
    doc.note = "";
    doc.repairs += backwards ? -1 : 1;
    doc.state = doc.repairs ? "repaired" : "open";
    view.refreshOverlay(doc, fullBox(doc));
    thumbnail(doc.base.bitmap).then((url) => {
      doc.thumbUrl = url;
      updateList();
    });
    setStatus(backwards ? "Repair undone: back to the image before it, with its mask." : "Repair redone.");
  }
  afterEdit(doc);
}

async function importMask(file) {
  const doc = state.doc;
  if (!file || !doc || !doc.loaded) return;
  await busy(async () => {
    const mask = await maskFromBlob(file, { width: doc.width, height: doc.height, what: file.name });
    replaceMask(doc, mask, { note: "imported mask" });
    setStatus(`Mask imported from ${file.name}: ${doc.marked.toLocaleString()} px. Correct it with the brush, then Repair.`);
  });
}

async function exportMask() {
  const doc = state.doc;
  if (!doc || !doc.loaded) return;
  download(await maskToBlob(doc.mask, doc.width, doc.height), `${doc.name}.mask.png`);
}

export async function busy(work) {
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

export const stage = (label) => ({ label, onStage: (text) => setStatus(text, { busy: true }) });

export function setStatus(text, { busy = false, error = false } = {}) {
  $("status").textContent = error ? `Error: ${text}` : text;
  $("status").className = error ? "error" : "";
  $("spinner").hidden = !busy;
}

export function updateButtons() {
  const doc = state.doc;
  const open = Boolean(doc && doc.loaded && view.doc === doc);
  const idle = !state.busy;
  const enable = (id, on) => ($(id).disabled = !on);
  enable("undo", open && idle && doc.history.undo.length > 0);
  enable("redo", open && idle && doc.history.redo.length > 0);
  enable("clear", open && idle);
  enable("detect", open && idle && state.info.detect_mosaic);
  enable("mask-import-button", open && idle);
  enable("mask-export", open);
  enable("zoom-fit", open);
  enable("zoom-1", open);
  enable("run", open && idle);
  enable("run-all", idle && state.docs.length > 0);
  enable("save", open && doc.repairs > 0);
  enable("save-all", idle && state.docs.some((d) => d.repairs > 0));
  $("file").disabled = !idle;
  $("folder").disabled = !idle;
  $("compare").disabled = !(open && doc.repairs > 0);
  $("compare").textContent = view.showOriginal ? "Show result" : "Show original";
}

export function setTool(tool) {
  state.tool = tool;
  for (const name of ["brush", "eraser", "hand"]) $(`tool-${name}`).classList.toggle("active", name === tool);
  view.canvas.className = tool === "hand" ? "hand" : "paint";
  view.cursor = { radius: state.brush / 2, eraser: tool === "eraser", hidden: tool === "hand" };
  view.request();
}

export function setBrush(size) {
  state.brush = Math.min(300, Math.max(1, Math.round(size)));
  $("brush-size").value = state.brush;
  $("brush-size-value").textContent = state.brush;
  setTool(state.tool);
}

export function toggleHelp(show = $("help").hidden) {
  $("help").hidden = !show;
}

export const mb = (bytes) => (bytes / 1e6).toFixed(1);

async function loadMethods() {
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
    if (group.children.length) $("method").append(group);
  }
  if (!info.detect_mosaic) $("detect").title = "Detection is not available in this installation";
  updateButtons();
}

function wire() {
  const onFiles = (e) => {
    openFiles(e.target.files);
    e.target.value = ""; // opening the same file again still fires change
  };
  $("file").addEventListener("change", onFiles);
  $("folder").addEventListener("change", onFiles);
  $("mask-file").addEventListener("change", (e) => {
    importMask(e.target.files[0]);
    e.target.value = "";
  });
  $("mask-import-button").onclick = () => $("mask-file").click();
  $("mask-export").onclick = exportMask;
  $("method").onchange = () => {
    if (state.doc) state.doc.method = $("method").value;
  };
  $("tool-brush").onclick = () => setTool("brush");
  $("tool-eraser").onclick = () => setTool("eraser");
  $("tool-hand").onclick = () => setTool("hand");
  $("brush-size").oninput = (e) => setBrush(Number(e.target.value));
  $("undo").onclick = () => undoRedo(true);
  $("redo").onclick = () => undoRedo(false);
  $("clear").onclick = () => replaceMask(state.doc, new Uint8Array(state.doc.mask.length));
  $("detect").onclick = detectActive;
  $("zoom-fit").onclick = () => view.fit();
  $("zoom-1").onclick = () => view.actualPixels();
  $("run").onclick = repairActive;
  $("run-all").onclick = repairAll;
  $("save").onclick = saveActive;
  $("save-all").onclick = saveAll;
  $("help-button").onclick = () => toggleHelp();
  $("help-close").onclick = () => toggleHelp(false);
  $("compare").onclick = () => {
    view.showOriginal = !view.showOriginal;
    updateButtons();
    view.request();
  };
  new ResizeObserver(() => view.resize()).observe($("viewport"));
  wireInput({ openFiles, repair: repairActive, save: saveActive });
}

// For tests and debugging: image coordinates <-> page coordinates, and the active document.
window.kintsugi = {
  imageToClient: (x, y) => view.imageToClient(x, y),
  maskCount: () => (state.doc && state.doc.mask ? state.doc.marked : 0),
  get busy() {
    return state.busy;
  },
  get hasResult() {
    return Boolean(state.doc && state.doc.repairs > 0);
  },
  get repairs() {
    return state.doc ? state.doc.repairs : 0;
  },
  get regions() {
    return state.doc ? state.doc.regions : [];
  },
  get active() {
    return state.doc ? state.doc.fileName : null;
  },
  get view() {
    return { scale: view.scale, x: view.x, y: view.y, fitted: view.fitted };
  },
  states: () => state.docs.map((d) => ({ name: d.fileName, state: d.state, repairs: d.repairs })),
};

wire();
setTool("brush");
loadMethods().then(
  () => setStatus("Ready. Open images (or a folder), or drop them here. Press ? for the shortcuts."),
  (error) => setStatus(`cannot reach the kintsugi server: ${error.message}`, { error: true }),
);
