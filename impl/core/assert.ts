/**
 * Assertions that stay on in every build (house style 4): they guard boundaries
 * such as encode/decode and push/pop, where a silent corruption would turn a
 * benchmark figure into a lie.
 */
export class AssertionError extends Error {
  override name = "AssertionError";
}

/** Throws an AssertionError with `message` (or its lazily built text) when `condition` is falsy. */
export function assert(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) {
    throw new AssertionError(typeof message === "string" ? message : message());
  }
}

/** Asserts `value` is an integer in [min, max]; names the field in the error. */
export function assertIntInRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}
