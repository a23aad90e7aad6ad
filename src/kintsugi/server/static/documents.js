// The open files: one Document each (its image, mask, history, detected regions, state), and
// the file list that shows them with a thumbnail and what state each is in.

import { History } from "./history.js";
import { countMask } from "./mask.js";

const IMAGE_NAME = /\.(png|jpe?g|webp|bmp|gif|tiff?)$/i;
const THUMB = 56;
let nextId = 1;

export class Document {
  constructor(file) {
    this.id = nextId++;
    this.file = file; // the Blob as opened: sent unchanged, so the first repair sees its exact pixels
    this.fileName = file.webkitRelativePath || file.name;
    this.name = file.name.replace(/\.[^.]*$/, "") || "image";
    this.loaded = false;
    this.loading = null; // the Promise of load(), shared by concurrent callers
    this.width = 0;
    this.height = 0;
    this.original = null; // ImageBitmap as opened (Compare shows it)
    this.base = null; // {bitmap, blob}: what the next repair starts from (the last result)
    this.mask = null; // Uint8Array width*height, 1 = hole
    this.overlay = null; // canvas at image size: the mask, coloured
    this.history = new History();
    this.regions = []; // detected: [{kind, box: [x0, y0, x1, y1]}], outlined until the next repair
    this.method = null; // a method detection chose for this file; null = the selected one
    this.repairs = 0; // repairs applied to the base (undo takes them back)
    this.state = "waiting"; // waiting | loading | open | repairing | repaired | nothing | error
    this.note = "";
    this.thumbUrl = null;
    this.released = false; // pixels given back while another file is active (releasePixels)
  }

  get marked() {
    return this.mask ? countMask(this.mask) : 0;
  }

  describe() {
    switch (this.state) {
      case "waiting":
        return "not opened yet";
      case "loading":
        return "opening…";
      case "repairing":
        return "repairing…";
      case "error":
        return `error: ${this.note}`;
      case "nothing":
        return "nothing found to repair";
      default: {
        const parts = [];
        if (this.repairs) parts.push(`repaired${this.repairs > 1 ? ` ×${this.repairs}` : ""}`);
        const marked = this.marked;
        if (marked) parts.push(`${marked.toLocaleString()} px marked${this.note ? ` (${this.note})` : ""}`);
        return parts.join(", ") || "no marks";
      }
    }
  }
}

// Only the active file keeps decoded pixels (its bitmaps and coloured overlay): a folder of
// 8-megapixel pages would otherwise hold gigabytes in the tab. The others keep their compressed
// blobs and their masks, and are decoded again when opened (restorePixels).
export function releasePixels(doc) {
  if (!doc.loaded || doc.released) return;
  const bitmaps = new Set([doc.original, doc.base.bitmap]);
  for (const entry of [...doc.history.undo, ...doc.history.redo]) {
    if (entry.type === "repair") bitmaps.add(entry.before.image.bitmap).add(entry.after.image.bitmap);
  }
  for (const bitmap of bitmaps) bitmap.close();
  doc.overlay.width = doc.overlay.height = 1;
  doc.released = true;
}

export async function restorePixels(doc) {
  if (!doc.released) return false;
  doc.original = await createImageBitmap(doc.file);
  await decoded(doc.base);
  doc.overlay.width = doc.width;
  doc.overlay.height = doc.height;
  doc.released = false;
  return true;
}

// The bitmap of an {bitmap, blob} image, decoded again from the blob if it was released.
export async function decoded(image) {
  if (image.bitmap.width === 0) image.bitmap = await createImageBitmap(image.blob); // closed: 0×0
  return image.bitmap;
}

export function isImageFile(file) {
  return file.type.startsWith("image/") || IMAGE_NAME.test(file.name);
}

export async function thumbnail(bitmap) {
  const scale = THUMB / Math.max(bitmap.width, bitmap.height);
  const c = document.createElement("canvas");
  c.width = Math.max(1, Math.round(bitmap.width * scale));
  c.height = Math.max(1, Math.round(bitmap.height * scale));
  c.getContext("2d").drawImage(bitmap, 0, 0, c.width, c.height);
  const blob = await new Promise((resolve) => c.toBlob(resolve, "image/png"));
  return URL.createObjectURL(blob);
}

// The file list: rebuilt on every change (a few hundred rows at most; cheap).
export function renderList(list, { docs, active, onSelect }) {
  list.replaceChildren(
    ...docs.map((doc) => {
      const item = document.createElement("li");
      item.className = `file state-${doc.state}${doc === active ? " active" : ""}`;
      item.dataset.name = doc.fileName;
      item.title = doc.fileName;
      const thumb = document.createElement(doc.thumbUrl ? "img" : "span");
      thumb.className = "thumb";
      if (doc.thumbUrl) {
        thumb.src = doc.thumbUrl;
        thumb.alt = "";
      }
      const text = document.createElement("span");
      text.className = "file-text";
      const name = document.createElement("span");
      name.className = "file-name";
      name.textContent = doc.fileName;
      const state = document.createElement("span");
      state.className = "file-state";
      state.textContent = doc.describe();
      text.append(name, state);
      item.append(thumb, text);
      item.onclick = () => onSelect(doc);
      return item;
    }),
  );
}
