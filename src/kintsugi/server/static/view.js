// The canvas: draws the active document (its base image, the mask in magenta, the detected
// regions' outlines and kinds, the brush cursor), and holds the zoom/pan transform.

const MASK_RGBA = [255, 0, 200, 255]; // magenta: stays visible over green paint
const MASK_OPACITY = 0.55;
const MIN_SCALE = 0.02;
const MAX_SCALE = 32;
const REGION_COLOURS = { mosaic: "#4fc3f7", bar: "#ffb74d", translucent: "#ba68c8" };

export class View {
  constructor(canvas, onZoom) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.onZoom = onZoom;
    this.doc = null;
    this.scale = 1;
    this.x = 0;
    this.y = 0;
    this.fitted = true; // refit on window resize until the user zooms or pans
    this.showOriginal = false;
    this.pointer = null; // CSS px relative to the canvas
    this.cursor = { radius: 12, eraser: false, hidden: true };
    this.queued = false;
  }

  // The overlay canvas (the mask, coloured) of a document, redrawn inside box.
  refreshOverlay(doc, box) {
    if (doc.released) return; // redrawn whole when the file is opened again
    const w = box.x1 - box.x0 + 1;
    const h = box.y1 - box.y0 + 1;
    const pixels = new ImageData(w, h);
    const data = pixels.data;
    for (let y = 0; y < h; y++) {
      let i = (box.y0 + y) * doc.width + box.x0;
      let o = y * w * 4;
      for (let x = 0; x < w; x++, i++, o += 4) {
        if (doc.mask[i]) data.set(MASK_RGBA, o);
      }
    }
    doc.overlay.getContext("2d").putImageData(pixels, box.x0, box.y0);
    if (doc === this.doc) this.request();
  }

  request() {
    if (this.queued) return;
    this.queued = true;
    requestAnimationFrame(() => {
      this.queued = false;
      this.render();
    });
  }

  render() {
    const { ctx, canvas, doc } = this;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (!doc || !doc.base) return;
    ctx.setTransform(dpr * this.scale, 0, 0, dpr * this.scale, dpr * this.x, dpr * this.y);
    // Smooth up to 2x; beyond, sharp pixels, which is what one paints against close up.
    ctx.imageSmoothingEnabled = this.scale < 2;
    if (this.showOriginal) {
      ctx.drawImage(doc.original, 0, 0);
    } else {
      ctx.drawImage(doc.base.bitmap, 0, 0);
      ctx.globalAlpha = MASK_OPACITY;
      ctx.drawImage(doc.overlay, 0, 0);
      ctx.globalAlpha = 1;
      this.drawRegions(dpr);
    }
    this.drawCursor(dpr);
  }

  drawRegions(dpr) {
    const { ctx } = this;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.font = "12px system-ui, sans-serif";
    for (const region of this.doc.regions) {
      const [x0, y0, x1, y1] = region.box;
      const colour = REGION_COLOURS[region.kind] || "#e0e0e0";
      const px = this.x + x0 * this.scale;
      const py = this.y + y0 * this.scale;
      ctx.setLineDash([5, 4]);
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = colour;
      ctx.strokeRect(px, py, (x1 - x0) * this.scale, (y1 - y0) * this.scale);
      ctx.setLineDash([]);
      const label = region.kind;
      const width = ctx.measureText(label).width + 8;
      ctx.fillStyle = colour;
      ctx.fillRect(px, py - 16, width, 16);
      ctx.fillStyle = "#111";
      ctx.fillText(label, px + 4, py - 4);
    }
  }

  drawCursor(dpr) {
    if (!this.pointer || this.cursor.hidden) return;
    const { ctx } = this;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const radius = Math.max(1, this.cursor.radius * this.scale);
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.arc(this.pointer.x, this.pointer.y, radius, 0, Math.PI * 2);
    ctx.strokeStyle = "rgba(0,0,0,0.8)";
    ctx.stroke();
    ctx.beginPath();
    ctx.arc(this.pointer.x, this.pointer.y, radius + 1, 0, Math.PI * 2);
    ctx.strokeStyle = this.cursor.eraser ? "rgba(120,200,255,0.9)" : "rgba(255,255,255,0.9)";
    ctx.stroke();
  }

  resize() {
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.max(1, Math.round(this.canvas.clientWidth * dpr));
    this.canvas.height = Math.max(1, Math.round(this.canvas.clientHeight * dpr));
    if (this.fitted && this.doc) this.fit();
    this.request();
  }

  set(scale, x, y, { fitted = false } = {}) {
    this.scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
    this.x = x;
    this.y = y;
    this.fitted = fitted;
    this.onZoom(this.scale);
    this.request();
  }

  fit() {
    if (!this.doc) return;
    const w = this.canvas.clientWidth;
    const h = this.canvas.clientHeight;
    const scale = Math.min(w / this.doc.width, h / this.doc.height) * 0.95;
    this.set(scale, (w - this.doc.width * scale) / 2, (h - this.doc.height * scale) / 2, { fitted: true });
  }

  zoomAt(px, py, factor) {
    const next = Math.min(MAX_SCALE, Math.max(MIN_SCALE, this.scale * factor));
    // Keep the image point under the cursor where it is.
    this.set(next, px - ((px - this.x) * next) / this.scale, py - ((py - this.y) * next) / this.scale);
  }

  actualPixels() {
    this.zoomAt(this.canvas.clientWidth / 2, this.canvas.clientHeight / 2, 1 / this.scale);
  }

  toImage(px, py) {
    return { x: (px - this.x) / this.scale, y: (py - this.y) / this.scale };
  }

  localPoint(event) {
    const rect = this.canvas.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  }

  imageToClient(x, y) {
    const rect = this.canvas.getBoundingClientRect();
    return { x: rect.left + this.x + x * this.scale, y: rect.top + this.y + y * this.scale };
  }
}
