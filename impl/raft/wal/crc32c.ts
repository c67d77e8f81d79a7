/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven with
 * slicing-by-4 tables built once at load. `crc32c(bytes, seed)` continues
 * from a previous CRC, so the WAL chains each record's CRC over the last one:
 * crc32c(b, crc32c(a)) === crc32c(a ++ b).
 * Known vector: crc32c("123456789") = 0xE3069283.
 */

const POLY_REFLECTED = 0x82f63b78;

/** tables[k][b]: CRC contribution of byte b followed by k zero bytes. */
const TABLES: Uint32Array[] = buildTables();

function buildTables(): Uint32Array[] {
  const t0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY_REFLECTED : c >>> 1;
    t0[n] = c >>> 0;
  }
  const tables = [t0];
  for (let k = 1; k < 4; k++) {
    const prev = tables[k - 1]!;
    const t = new Uint32Array(256);
    for (let n = 0; n < 256; n++) t[n] = (prev[n]! >>> 8) ^ t0[prev[n]! & 0xff]!;
    tables.push(t);
  }
  return tables;
}

/** CRC32C of bytes[start, end), continuing from `seed` (0 for a fresh CRC). Returns an unsigned 32-bit value. */
export function crc32c(bytes: Uint8Array, seed = 0, start = 0, end = bytes.length): number {
  const [t0, t1, t2, t3] = TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let c = ~seed >>> 0;
  let i = start;
  // Four bytes per step: the slicing tables fold a whole word at once.
  for (; i + 4 <= end; i += 4) {
    c ^= bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    c = t3[c & 0xff]! ^ t2[(c >>> 8) & 0xff]! ^ t1[(c >>> 16) & 0xff]! ^ t0[c >>> 24]!;
  }
  for (; i < end; i++) c = (c >>> 8) ^ t0[(c ^ bytes[i]!) & 0xff]!;
  return ~c >>> 0;
}
