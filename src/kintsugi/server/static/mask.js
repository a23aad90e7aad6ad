// Mask editing: pure functions on a Uint8Array at image resolution (1 = hole). The mask is
// painted with hard-edged discs (canvas paths would anti-alias, and a half-covered pixel would
// be ambiguous to the server); the view only draws it.

// Set every pixel whose centre lies within radius r of (cx, cy) to value; returns the bbox touched.
export function stampDisc(mask, width, height, { cx, cy, r, value }) {
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
export function stampLine(mask, width, height, { from, to, r, value }) {
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

export function growBox(a, b) {
  if (!a) return b;
  if (!b) return a;
  return { x0: Math.min(a.x0, b.x0), y0: Math.min(a.y0, b.y0), x1: Math.max(a.x1, b.x1), y1: Math.max(a.y1, b.y1) };
}

export function copyRect(mask, width, box) {
  const w = box.x1 - box.x0 + 1;
  const out = new Uint8Array(w * (box.y1 - box.y0 + 1));
  for (let y = box.y0; y <= box.y1; y++) {
    out.set(mask.subarray(y * width + box.x0, y * width + box.x1 + 1), (y - box.y0) * w);
  }
  return out;
}

export function pasteRect(mask, width, box, data) {
  const w = box.x1 - box.x0 + 1;
  for (let y = box.y0; y <= box.y1; y++) {
    mask.set(data.subarray((y - box.y0) * w, (y - box.y0 + 1) * w), y * width + box.x0);
  }
}

export function countMask(mask) {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i];
  return n;
}

// White = hole, opaque elsewhere: the format POST /api/repair reads and "Export mask" writes.
export function maskToBlob(mask, width, height) {
  const c = document.createElement("canvas");
  c.width = width;
  c.height = height;
  const pixels = new ImageData(width, height);
  const data = pixels.data;
  for (let i = 0, o = 0; i < mask.length; i++, o += 4) {
    const v = mask[i] ? 255 : 0;
    data[o] = data[o + 1] = data[o + 2] = v;
    data[o + 3] = 255;
  }
  c.getContext("2d").putImageData(pixels, 0, 0);
  return new Promise((resolve) => c.toBlob(resolve, "image/png"));
}

// A mask image (the server's, or one the user imports) -> Uint8Array. Hole = bright and
// opaque, as the server reads masks: a transparent pixel is never a hole.
export async function maskFromBlob(blob, { width, height, what }) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  } catch {
    throw new Error(`${what}: not an image this browser can read`);
  }
  if (bitmap.width !== width || bitmap.height !== height) {
    throw new Error(`${what} is ${bitmap.width}×${bitmap.height} but the image is ${width}×${height}`);
  }
  const c = document.createElement("canvas");
  c.width = width;
  c.height = height;
  const g = c.getContext("2d", { willReadFrequently: true });
  g.drawImage(bitmap, 0, 0);
  const data = g.getImageData(0, 0, width, height).data;
  const mask = new Uint8Array(width * height);
  for (let i = 0, o = 0; i < mask.length; i++, o += 4) {
    const luma = 0.299 * data[o] + 0.587 * data[o + 1] + 0.114 * data[o + 2];
    mask[i] = luma >= 128 && data[o + 3] >= 128 ? 1 : 0;
  }
  return mask;
}

// Run lengths of a 0/1 mask, alternating from a run of 0s: the history keeps whole masks this
// way (a mask is a few blobs, so a few hundred bytes instead of one byte per pixel).
export function packMask(mask) {
  const runs = [];
  let value = 0;
  let start = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] !== value) {
      runs.push(i - start);
      start = i;
      value = mask[i];
    }
  }
  runs.push(mask.length - start);
  return Uint32Array.from(runs);
}

export function unpackMask(runs, into) {
  let at = 0;
  for (let r = 0; r < runs.length; r++) {
    into.fill(r % 2, at, at + runs[r]);
    at += runs[r];
  }
  return into;
}
