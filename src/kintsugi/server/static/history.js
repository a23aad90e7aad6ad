// Undo/redo of one document, across repairs. Two kinds of entry:
//   {type: "mask", box, before, after}       the rectangle a mask edit touched, before and after
//   {type: "repair", before, after}          each {image, mask}: the base image (an {bitmap, blob}
//                                            pair) and the whole mask, either side of a repair
// so a user repairs, looks, paints a little more, repairs again, and can step back through all.

const UNDO_BUDGET_BYTES = 256 * 1024 * 1024; // entries beyond this are forgotten, oldest first

function entryBytes(entry) {
  return entry.type === "mask" ? entry.before.length * 2 : entry.before.mask.length * 2;
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
