// A store-only (uncompressed) ZIP of Blobs, for "Save all": PNGs are compressed already, and a
// few dozen lines beat a dependency. Names are UTF-8 (flag bit 11).

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function header(size, fields) {
  const view = new DataView(new ArrayBuffer(size));
  for (const [offset, bytes, value] of fields) {
    if (bytes === 2) view.setUint16(offset, value, true);
    else view.setUint32(offset, value, true);
  }
  return new Uint8Array(view.buffer);
}

// files: [{name, blob}] -> Blob (application/zip)
export async function makeZip(files) {
  const parts = [];
  const central = [];
  let offset = 0;
  for (const { name, blob } of files) {
    const data = new Uint8Array(await blob.arrayBuffer());
    const nameBytes = new TextEncoder().encode(name);
    const crc = crc32(data);
    const local = header(30, [
      [0, 4, 0x04034b50],
      [4, 2, 20],
      [6, 2, 0x0800],
      [8, 2, 0],
      [10, 2, 0],
      [12, 2, 0x21],
      [14, 4, crc],
      [18, 4, data.length],
      [22, 4, data.length],
      [26, 2, nameBytes.length],
      [28, 2, 0],
    ]);
    central.push(
      header(46, [
        [0, 4, 0x02014b50],
        [4, 2, 20],
        [6, 2, 20],
        [8, 2, 0x0800],
        [10, 2, 0],
        [12, 2, 0],
        [14, 2, 0x21],
        [16, 4, crc],
        [20, 4, data.length],
        [24, 4, data.length],
        [28, 2, nameBytes.length],
        [30, 2, 0],
        [32, 2, 0],
        [34, 2, 0],
        [36, 2, 0],
        [38, 4, 0],
        [42, 4, offset],
      ]),
      nameBytes,
    );
    parts.push(local, nameBytes, data);
    offset += local.length + nameBytes.length + data.length;
  }
  const centralSize = central.reduce((sum, p) => sum + p.length, 0);
  const end = header(22, [
    [0, 4, 0x06054b50],
    [4, 2, 0],
    [6, 2, 0],
    [8, 2, files.length],
    [10, 2, files.length],
    [12, 4, centralSize],
    [16, 4, offset],
    [20, 2, 0],
  ]);
  return new Blob([...parts, ...central, end], { type: "application/zip" });
}

// Unique names inside one archive: "a.png", "a (2).png", ...
export function uniqueNames(names) {
  const seen = new Map();
  return names.map((name) => {
    const n = (seen.get(name) || 0) + 1;
    seen.set(name, n);
    return n === 1 ? name : name.replace(/(\.[^.]*)?$/, (ext) => ` (${n})${ext || ""}`);
  });
}
