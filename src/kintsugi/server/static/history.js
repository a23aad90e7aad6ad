// Undo/redo of one document, across repairs. Three kinds of entry:
//   {type: "mask", box, before, after}       the rectangle a stroke touched, before and after
//   {type: "mask-full", before, after}       a whole mask replaced (detect, import, clear), packed
//   {type: "repair", before, after}          each {image, mask, regions}: the base image (an
//                                            {bitmap, blob} pair) and the whole mask, packed (null
//                                            = empty), either side of a repair
// so a user repairs, looks, paints a little more, repairs again, and can step back through all.

const UNDO_BUDGET_BYTES = 256 * 1024 * 1024; // entries beyond this are forgotten, oldest first

function entryBytes(entry) {
  const size = (a) => (a ? a.byteLength : 0);
  if (entry.type === "repair") return size(entry.before.mask) + size(entry.after.mask);
  return size(entry.before) + size(entry.after);
}

export class History {
  constructor() {
    this.undo = [];
    this.redo = [];
  }

  push(entry) {
    this.undo.push(entry);
    this.redo = [];
    let bytes = this.undo.reduce((sum, e) => sum + entryBytes(e), 0);
    while (bytes > UNDO_BUDGET_BYTES && this.undo.length > 1) bytes -= entryBytes(this.undo.shift());
  }

  // Move one entry from one stack to the other; returns it with the side to apply ("before"
  // when undoing), or null when there is nothing to move.
  step(backwards) {
    const [from, to] = backwards ? [this.undo, this.redo] : [this.redo, this.undo];
    const entry = from.pop();
    if (!entry) return null;
    to.push(entry);
    return { entry, side: backwards ? "before" : "after" };
  }

  clear() {
    this.undo = [];
    this.redo = [];
  }
}
