// The work done on the server: detect, repair (one file, or all), and saving the results.
// Each repair's result becomes the file's new base, undoable like any edit.

import { imageForm, sendRetrying } from "./api.js";
import { releasePixels, thumbnail } from "./documents.js";
import { busy, fullBox, load, mb, replaceMask, setStatus, stage, state, updateList, view } from "./main.js";
import { maskFromBlob, maskToBlob, packMask } from "./mask.js";
import { makeZip, uniqueNames } from "./zip.js";

const $ = (id) => document.getElementById(id);

async function detect(doc) {
  const found = await sendRetrying("/api/detect", () => imageForm(doc.base.blob), stage(`${doc.fileName}: detecting censors`));
  const answer = JSON.parse(await found.blob.text());
  if (!answer.regions.length) return answer;
  const bytes = Uint8Array.from(atob(answer.mask), (c) => c.charCodeAt(0));
  const mask = await maskFromBlob(new Blob([bytes], { type: "image/png" }), { width: doc.width, height: doc.height, what: "the detected mask" });
  for (let i = 0; i < mask.length; i++) mask[i] |= doc.mask[i]; // keep what the user painted
  replaceMask(doc, mask, { note: "detected" });
  doc.regions = answer.regions;
  // A mosaic keeps evidence under it (a mosaic method restores it); a bar hides everything.
  const mosaicOnly = answer.regions.every((r) => r.kind === "mosaic");
  doc.method = defaultMethod(mosaicOnly ? "mosaic" : "inpaint");
  view.request();
  return answer;
}

export function defaultMethod(kind) {
  const option = [...$("method").options].find((o) => o.dataset.kind === kind && o.dataset.default === "true");
  return option ? option.value : $("method").value;
}

async function repair(doc, { method }) {
  const maskBlob = await maskToBlob(doc.mask, doc.width, doc.height);
  const makeForm = () => {
    const form = imageForm(doc.base.blob);
    form.append("mask", maskBlob, "mask.png");
    form.append("method", method);
    return form;
  };
  const answer = await sendRetrying("/api/repair", makeForm, stage(`${doc.fileName}: repairing with ${method}`));
  setStatus(`${doc.fileName}: decoding the result…`, { busy: true });
  const bitmap = await createImageBitmap(answer.blob);
  // The result becomes the new base: paint a little more and repair again; undo steps back.
  const before = { image: doc.base, mask: packMask(doc.mask), regions: doc.regions };
  const after = { image: { bitmap, blob: answer.blob }, mask: null, regions: [] }; // null: empty
  doc.history.push({ type: "repair", before, after });
  doc.base = after.image;
  doc.mask.fill(0);
  doc.regions = [];
  doc.repairs += 1;
  doc.note = "";
  doc.state = "repaired";
  view.refreshOverlay(doc, fullBox(doc));
  if (doc.thumbUrl) URL.revokeObjectURL(doc.thumbUrl);
  doc.thumbUrl = await thumbnail(bitmap); // the list shows each file as it is now
  updateList();
  return Number(answer.header("X-Kintsugi-Seconds"));
}

export async function repairActive() {
  const doc = state.doc;
  if (!doc || !doc.loaded) return;
  if (!doc.marked) {
    setStatus("The mask is empty: paint over what should be repaired first (or Detect).", { error: true });
    return;
  }
  await busy(async () => {
    const seconds = await repair(doc, { method: $("method").value });
    view.showOriginal = false;
    const took = seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${seconds.toFixed(1)} s`;
    setStatus(`Repaired in ${took}. Paint more and Repair again to go on from here; hold Space to compare with the original.`);
  });
}

export async function detectActive() {
  const doc = state.doc;
  if (!doc || !doc.loaded) return;
  await busy(async () => {
    const answer = await detect(doc);
    if (!answer.regions.length) {
      setStatus("Nothing found; the mask is unchanged.");
      return;
    }
    $("method").value = doc.method;
    setStatus(`Detected: ${answer.message}. Correct the marks with the brush or eraser, then Repair (method ${doc.method}).`);
  });
}

// Every file with marks of its own (green paint, an imported or painted mask), or else what
// detection finds, repaired once; files with nothing found are marked so.
export async function repairAll() {
  await busy(async () => {
    let done = 0;
    let failed = 0;
    for (const doc of state.docs) {
      if (doc.repairs && !doc.marked) continue; // already repaired, nothing new marked
      try {
        await load(doc);
        if (!doc.marked && state.info.detect_mosaic) await detect(doc);
        if (!doc.marked) {
          doc.state = "nothing";
          updateList();
          continue;
        }
        doc.state = "repairing";
        updateList();
        await repair(doc, { method: doc.method || $("method").value });
        done++;
      } catch (error) {
        doc.state = "error";
        doc.note = error.message;
        failed++;
      } finally {
        if (doc !== state.doc) releasePixels(doc); // only the active file keeps its pixels
      }
      updateList();
    }
    const nothing = state.docs.filter((d) => d.state === "nothing").length;
    setStatus(`Repair all: ${done} repaired, ${nothing} with nothing found, ${failed} failed.`, { error: failed > 0 });
  });
}

export async function saveAll() {
  const repaired = state.docs.filter((d) => d.repairs > 0);
  if (!repaired.length) return;
  await busy(async () => {
    setStatus(`Packing ${repaired.length} images…`, { busy: true });
    const names = uniqueNames(repaired.map((d) => `${d.name}.repaired.png`));
    const zip = await makeZip(repaired.map((d, i) => ({ name: names[i], blob: d.base.blob })));
    download(zip, "kintsugi-repaired.zip");
    setStatus(`Saved ${repaired.length} repaired images in kintsugi-repaired.zip (${mb(zip.size)} MB).`);
  });
}

export function saveActive() {
  const doc = state.doc;
  if (doc && doc.repairs > 0) download(doc.base.blob, `${doc.name}.repaired.png`);
}

export function download(blob, name) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

