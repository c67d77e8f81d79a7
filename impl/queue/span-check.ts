/**
 * The boundary check every copying queue end runs on the caller's buffer before
 * a push or pop (`message-port`, `message-port-object`, `mutex`). It stays on
 * (house style 4) and allocates nothing unless it throws.
 */

/** Asserts [offset, offset + count records) lies inside `buf`; the error names `kind` and `what` (push/pop). */
export function checkSpan(
  kind: string,
  what: string,
  buf: Uint8Array,
  offset: number,
  count: number,
  recordBytes: number,
): void {
  if (
    !Number.isInteger(offset) ||
    !Number.isInteger(count) ||
    offset < 0 ||
    count < 0 ||
    offset + count * recordBytes > buf.length
  ) {
    throw new RangeError(
      `${kind} ${what}: ${count} records at byte ${offset} do not fit a ${buf.length}-byte buffer`,
    );
  }
}
