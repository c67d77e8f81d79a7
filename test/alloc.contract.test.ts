/**
 * The allocator contract, run against every registered allocator: each field
 * round-trips through write/read at every record size; live() counts; seeded
 * random acquire/release interleavings with releases in random order never hand
 * out a live ref nor overwrite a live event (checkAllocator, impl/alloc/check.ts). Bounded
 * allocators also refuse a double release, a foreign ref and exhaustion with
 * clear errors, and follow their grow policy. A test-only fixture with the C++
 * pool's counter bug shows the same checker catches exactly that bug.
 */
import { describe, expect, test } from "bun:test";
import { ArrayPool } from "../impl/alloc/array-pool.ts";
import { checkAllocator } from "../impl/alloc/check.ts";
import {
  AllocatorMisuseError,
  createAllocator,
  Lane,
  listImplementations,
  newEventFields,
  PoolExhaustedError,
  payloadCapacity,
  RECORD_SIZES,
  Rng,
} from "../impl/index.ts";
import { CounterPoolFixture } from "./support/counter-pool-fixture.ts";

const SEED = Number(process.env.SEED ?? 20261126);
const INTERLEAVE_OPS = 20_000;

const impls = listImplementations("allocator");

test("the three allocators are registered", () => {
  expect(impls.map((r) => r.name)).toEqual(["naive", "array-pool", "slab"]);
});

for (const reg of impls) {
  describe(`allocator ${reg.name}`, () => {
    for (const size of RECORD_SIZES) {
      test(`${size}-byte records: every field round-trips through write/read`, () => {
        const a = createAllocator(reg.name, { capacity: 8, recordBytes: size });
        expect(a.recordBytes).toBe(size);
        const rng = new Rng(SEED + size);
        const refs = [a.acquire(), a.acquire(), a.acquire()];
        const evs = refs.map((ref, i) => {
          const ev = newEventFields(size);
          ev.producerId = i === 0 ? 0xffffffff : rng.nextU32();
          ev.sequence = i === 1 ? 0xffffffff : rng.nextU32();
          ev.ingestNs = 2 ** 52 + i;
          ev.lane = [Lane.REALTIME, Lane.TRANSACTIONAL, Lane.BATCH][i]!;
          ev.type = i === 2 ? 255 : rng.int(256);
          ev.payloadLength = i === 0 ? payloadCapacity(size) : rng.int(payloadCapacity(size) + 1);
          rng.fill(ev.payload.subarray(0, ev.payloadLength));
          a.write(ref, ev);
          return ev;
        });
        refs.forEach((ref, i) => {
          const out = a.read(ref, newEventFields(size));
          const want = evs[i]!;
          expect({ ...out, payload: [...out.payload.subarray(0, out.payloadLength)] }).toEqual({
            ...want,
            payload: [...want.payload.subarray(0, want.payloadLength)],
          });
        });
        for (const ref of refs) a.release(ref);
        expect(a.live()).toBe(0);
      });
    }

    test("live() counts acquires minus releases", () => {
      const a = createAllocator(reg.name, { capacity: 16 });
      const refs = Array.from({ length: 10 }, () => a.acquire());
      expect(a.live()).toBe(10);
      for (const ref of refs.slice(0, 4)) a.release(ref);
      expect(a.live()).toBe(6);
      for (const ref of refs.slice(4)) a.release(ref);
      expect(a.live()).toBe(0);
    });

    for (const [capacity, maxLive] of [
      [1, 1],
      [3, 3],
      [64, 64],
      [1024, 200],
    ] as const) {
      test(`seeded random interleaving, random release order: capacity ${capacity}, up to ${maxLive} live (seed ${SEED})`, () => {
        const a = createAllocator(reg.name, { capacity });
        const result = checkAllocator(a, SEED + capacity, INTERLEAVE_OPS, maxLive);
        expect(result.firstProblem).toBe("");
        expect(result.ops).toBe(INTERLEAVE_OPS);
      });
    }

    if (reg.name === "naive") return; // unbounded: no exhaustion; misuse detection is documented as minimal

    test("double release raises AllocatorMisuseError", () => {
      const a = createAllocator(reg.name, { capacity: 4 });
      const x = a.acquire();
      const y = a.acquire();
      a.release(x);
      expect(() => a.release(x)).toThrow(AllocatorMisuseError);
      expect(() => a.release(x)).toThrow(/double release/);
      expect(a.live()).toBe(1);
      a.release(y);
      expect(a.live()).toBe(0);
    });

    test("a foreign ref (another pool's, or made by hand) raises AllocatorMisuseError", () => {
      const a = createAllocator(reg.name, { capacity: 4, producers: 1 });
      const other = createAllocator(reg.name, { capacity: 64, producers: 1 });
      for (let i = 0; i < 10; i++) other.acquire();
      const otherRef = other.acquire(); // slot 10: beyond a's 4 slots
      expect(() => a.release(otherRef)).toThrow(AllocatorMisuseError);
      const handMade = reg.name === "slab" ? 0x3f000001 : newEventFields(64);
      expect(() => a.release(handMade)).toThrow(/foreign|did not hand out/);
      expect(a.live()).toBe(0);
    });

    test("exhaustion raises PoolExhaustedError (default policy) and the pool recovers", () => {
      const a = createAllocator(reg.name, { capacity: 5 });
      expect(a.capacity).toBe(5);
      const refs = Array.from({ length: 5 }, () => a.acquire());
      expect(() => a.acquire()).toThrow(PoolExhaustedError);
      a.release(refs[2]!);
      expect(a.acquire()).toBe(refs[2]!);
      expect(() => a.acquire()).toThrow(/live/);
    });

    test('onExhausted "grow": doubles, or is refused at creation with a clear error', () => {
      if (reg.name === "slab") {
        expect(() => createAllocator("slab", { capacity: 4, onExhausted: "grow" })).toThrow(
          /grow.*not supported/,
        );
        return;
      }
      const a = createAllocator(reg.name, { capacity: 2, onExhausted: "grow" });
      const refs = Array.from({ length: 5 }, () => a.acquire());
      expect(new Set(refs).size).toBe(5);
      expect(a.capacity).toBe(8); // 2 -> 4 -> 8
      for (const ref of refs) a.release(ref);
      expect(a.live()).toBe(0);
      expect(checkAllocator(a, SEED, 5_000, 100).firstProblem).toBe("");
      expect(a.capacity).toBe(128); // grew while up to 100 were live
    });
  });
}

describe("array-pool grow policy stops at its named maximum", () => {
  test("grows 3 -> 6 -> 10 with maxObjects 10, then PoolExhaustedError", () => {
    const pool = new ArrayPool(64, 3, "grow", 10);
    const refs = Array.from({ length: 10 }, () => pool.acquire());
    expect(pool.capacity).toBe(10);
    expect(() => pool.acquire()).toThrow(/maximum of 10/);
    for (const ref of refs) pool.release(ref);
  });
});

describe("the checker catches the C++ counter-pool bug (test-only fixture)", () => {
  test("random release order: the fixture hands out a live object and the checker reports it", () => {
    const result = checkAllocator(new CounterPoolFixture(64, 8), SEED, INTERLEAVE_OPS, 8, {
      stopAtFirst: true,
    });
    expect(result.firstProblem).toMatch(/still live|overwritten/);
    expect(result.ops).toBeLessThan(INTERLEAVE_OPS);
  });
  test("the same fixture passes when releases come back in acquire order (the bug needs out-of-order)", () => {
    const result = checkAllocator(new CounterPoolFixture(64, 8), SEED, INTERLEAVE_OPS, 8, {
      order: "fifo",
      stopAtFirst: true,
    });
    expect(result.firstProblem).toBe("");
    expect(result.ops).toBe(INTERLEAVE_OPS);
  });
});
