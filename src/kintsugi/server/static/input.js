// Pointer (paint, erase, pan, zoom), keyboard shortcuts (listed in the help overlay) and
// drag-and-drop of files.

import { afterEdit, setBrush, setTool, state, toggleHelp, undoRedo, updateButtons, view } from "./main.js";
import { copyRect, growBox, stampLine } from "./mask.js";

const $ = (id) => document.getElementById(id);
let stroke = null; // {value, before, box, last}
let pan = null; // {x, y, viewX, viewY}
let spaceHeld = false;

const editable = () => state.doc && state.doc.loaded && view.doc === state.doc && !state.busy;

function onPointerDown(event) {
  if (!editable()) return;
  const point = view.localPoint(event);
  view.canvas.setPointerCapture(event.pointerId);
  if (event.button === 1 || event.button === 2 || state.tool === "hand") {
    pan = { x: point.x, y: point.y, viewX: view.x, viewY: view.y };
    event.preventDefault();
    return;
  }
  if (event.button !== 0) return;
  const doc = state.doc;
  stroke = { value: state.tool === "eraser" ? 0 : 1, before: doc.mask.slice(), box: null, last: view.toImage(point.x, point.y) };
  paintTo(point);
}

function paintTo(point) {
  const doc = state.doc;
  const to = view.toImage(point.x, point.y);
  const box = stampLine(doc.mask, doc.width, doc.height, { from: stroke.last, to, r: state.brush / 2, value: stroke.value });
  stroke.last = to;
  if (box) {
    stroke.box = growBox(stroke.box, box);
    view.refreshOverlay(doc, box);
  }
}

function onPointerMove(event) {
  const point = view.localPoint(event);
  view.pointer = point;
  if (pan) {
    view.set(view.scale, pan.viewX + point.x - pan.x, pan.viewY + point.y - pan.y);
  } else if (stroke) {
    for (const e of event.getCoalescedEvents ? event.getCoalescedEvents() : [event]) paintTo(view.localPoint(e));
  }
  view.request();
}

function onPointerUp(event) {
  if (view.canvas.hasPointerCapture(event.pointerId)) view.canvas.releasePointerCapture(event.pointerId);
  pan = null;
  const done = stroke;
  stroke = null;
  if (done && done.box) {
    const doc = state.doc;
    const before = copyRect(done.before, doc.width, done.box);
    doc.history.push({ type: "mask", box: done.box, before, after: copyRect(doc.mask, doc.width, done.box) });
    afterEdit(doc);
  }
  view.request();
}

function onWheel(event) {
  if (!view.doc) return;
  event.preventDefault();
  const point = view.localPoint(event);
  view.zoomAt(point.x, point.y, Math.exp(-event.deltaY * 0.0015));
}

function setCompare(show) {
  view.showOriginal = show;
  updateButtons();
  view.request();
}

function onKey(event, actions) {
  if (event.target.tagName === "INPUT" && event.target.type !== "range") return;
  if (event.target.tagName === "SELECT") return;
  const key = event.key.toLowerCase();
  const mod = event.ctrlKey || event.metaKey;
  const hasResult = state.doc && state.doc.repairs > 0;
  if (event.type === "keyup") {
    if (key === " ") {
      event.preventDefault(); // a focused button would otherwise be clicked on release
      if (spaceHeld) setCompare(false);
      spaceHeld = false;
    }
    return;
  }
  if (key === " ") {
    event.preventDefault(); // no page scroll, no button press
    if (!event.repeat && hasResult) {
      spaceHeld = true;
      setCompare(true);
    }
  } else if (key === "escape") {
    toggleHelp(false);
  } else if (key === "?" || (key === "/" && event.shiftKey)) {
    toggleHelp();
  } else if (mod && key === "z") {
    event.preventDefault();
    undoRedo(!event.shiftKey);
  } else if (mod && key === "y") {
    event.preventDefault();
    undoRedo(false);
  } else if (mod && key === "s") {
    event.preventDefault();
    actions.save();
  } else if (mod && key === "enter") {
    if (!$("run").disabled) actions.repair();
  } else if (!mod && view.doc) {
    const keys = {
      b: () => setTool("brush"),
      e: () => setTool("eraser"),
      h: () => setTool("hand"),
      "[": () => setBrush(state.brush / 1.25),
      "]": () => setBrush(state.brush * 1.25 + 1),
      f: () => view.fit(),
      1: () => view.actualPixels(),
      d: () => $("detect").click(),
    };
    if (keys[key]) keys[key]();
  }
}

function wireDrop(openFiles) {
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
    openFiles(e.dataTransfer.files);
  });
}

export function wireInput(actions) {
  const canvas = view.canvas;
  canvas.addEventListener("pointerdown", onPointerDown);
  canvas.addEventListener("pointermove", onPointerMove);
  canvas.addEventListener("pointerup", onPointerUp);
  canvas.addEventListener("pointercancel", onPointerUp);
  canvas.addEventListener("pointerleave", () => {
    view.pointer = null;
    view.request();
  });
  canvas.addEventListener("wheel", onWheel, { passive: false });
  canvas.addEventListener("contextmenu", (e) => e.preventDefault());
  window.addEventListener("keydown", (e) => onKey(e, actions));
  window.addEventListener("keyup", (e) => onKey(e, actions));
  window.addEventListener("blur", () => {
    if (spaceHeld) setCompare(false); // a key released in another window never sends keyup here
    spaceHeld = false;
  });
  wireDrop(actions.openFiles);
}
