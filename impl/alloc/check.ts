/**
 * The allocator contract checker, one copy for every caller (the contract
 * test suite, the counter-pool fixture test and `bun run compare`): it drives
 * any Allocator with a seeded interleaving of acquires and releases (releases
 * in random order by default), gives every acquired event a pattern unique to
 * it, and counts each time a ref is handed out while still live, a live
 * event's content changes, or live() disagrees with the refs held. Then it
 * releases everything, reads live(), and releases once more, which a correct
 * pool refuses with AllocatorMisuseError. The C++ pool this harness studies
 * fails the out-of-order part: it hands a live object out again.
 */
import { type Allocator, AllocatorMisuseError } from "../core/contracts.ts";
import {
  type EventFields,
  LANE_COUNT,
  type Lane,
  newEventFields,
  payloadCapacity,
} from "../core/record.ts";
import { Rng } from "../core/rng.ts";

export interface AllocCheckOptions {
  /** Which live ref a release takes: a seeded-random one (default) or the oldest. */
  order?: "random" | "fifo";
  /** Probability of an acquire while below maxLive (default 0.55). */
  acquireP?: number;
  /** Stop at the first violation (default false: count them all). */
  stopAtFirst?: boolean;
}

export interface AllocCheck {
  /** Operations performed (fewer than asked only when stopAtFirst stopped early). */
  ops: number;
  reusedWhileLive: number;
  damagedWhileLive: number;
  /** Operations after which live() differed from the refs held. */
  liveCountWrong: number;
  /** live() after releasing everything (0 when correct). */
  liveAfterDrain: number;
  /** The extra release after the drain was refused with AllocatorMisuseError. */
  misuseRefused: boolean;
  /** The first violation in words, "" when none. */
  firstProblem: string;
}

/** Fills `ev` with the pattern that identifies event `id`. */
function fillPattern(ev: EventFields, id: number, recordBytes: number): void {
  ev.producerId = id % 7;
  ev.sequence = id >>> 0;
  ev.ingestNs = id * 1000 + 1;
  ev.lane = (id % LANE_COUNT) as Lane;
  ev.type = id & 0xff;
  ev.payloadLength = payloadCapacity(recordBytes) - (id % 3);
  for (let i = 0; i < ev.payloadLength; i++) ev.payload[i] = (id * 31 + i * 7) & 0xff;
}

function samePattern(got: EventFields, want: EventFields): boolean {
  if (
    got.producerId !== want.producerId ||
    got.sequence !== want.sequence ||
    got.ingestNs !== want.ingestNs ||
    got.lane !== want.lane ||
    got.type !== want.type ||
    got.payloadLength !== want.payloadLength
  )
    return false;
  for (let i = 0; i < want.payloadLength; i++) if (got.payload[i] !== want.payload[i]) return false;
  return true;
}

/** A violation-free result so far; the counters below only grow. */
function emptyCheck(): AllocCheck {
  return {
    ops: 0,
    reusedWhileLive: 0,
    damagedWhileLive: 0,
    liveCountWrong: 0,
    liveAfterDrain: 0,
    misuseRefused: false,
    firstProblem: "",
  };
}

/**
 * Runs `ops` seeded operations on `alloc`: acquire while below `maxLive` with
 * probability acquireP (always when nothing is live), else release a live ref.
 */
export function checkAllocator<R>(
  alloc: Allocator<R>,
  seed: number,
  ops: number,
  maxLive: number,
  opts: AllocCheckOptions = {},
): AllocCheck {
  const order = opts.order ?? "random";
  const acquireP = opts.acquireP ?? 0.55;
  const rng = new Rng(seed);
  const rb = alloc.recordBytes;
  const refs: R[] = [];
  const ids: number[] = [];
  const live = new Set<R>();
  const want = newEventFields(rb);
  const got = newEventFields(rb);
  const c = emptyCheck();
  const note = (msg: string) => {
    if (!c.firstProblem) c.firstProblem = msg;
  };
  const stop = () => opts.stopAtFirst === true && c.firstProblem !== "";
  let nextId = 0;
  const releaseAt = (k: number) => {
    const ref = refs[k]!;
    fillPattern(want, ids[k]!, rb);
    alloc.read(ref, got);
    if (!samePattern(got, want)) {
      c.damagedWhileLive++;
      note(`event ${ids[k]} was overwritten while live (its ref was handed out again and written)`);
    }
    if (order === "fifo") {
      refs.splice(k, 1);
      ids.splice(k, 1);
    } else {
      refs[k] = refs[refs.length - 1]!;
      ids[k] = ids[ids.length - 1]!;
      refs.pop();
      ids.pop();
    }
    live.delete(ref);
    alloc.release(ref);
  };
  for (; c.ops < ops && !stop(); c.ops++) {
    if (refs.length === 0 || (refs.length < maxLive && rng.chance(acquireP))) {
      const ref = alloc.acquire();
      if (live.has(ref)) {
        c.reusedWhileLive++;
        note(
          `op ${c.ops}: acquire handed out a ref that is still live (event ${ids[refs.indexOf(ref)]})`,
        );
      }
      const id = nextId++;
      fillPattern(want, id, rb);
      alloc.write(ref, want);
      live.add(ref);
      refs.push(ref);
      ids.push(id);
    } else releaseAt(order === "fifo" ? 0 : rng.int(refs.length));
    if (alloc.live() !== refs.length) {
      c.liveCountWrong++;
      note(`op ${c.ops}: live() = ${alloc.live()}, expected ${refs.length}`);
    }
  }
  if (stop()) return c;
  let last: R | undefined = refs[0];
  while (refs.length > 0) {
    last = refs[order === "fifo" ? 0 : refs.length - 1];
    releaseAt(order === "fifo" ? 0 : refs.length - 1);
  }
  c.liveAfterDrain = alloc.live();
  if (c.liveAfterDrain !== 0) note(`live() = ${c.liveAfterDrain} after releasing all`);
  if (last !== undefined) {
    try {
      alloc.release(last);
    } catch (err) {
      c.misuseRefused = err instanceof AllocatorMisuseError;
    }
  }
  return c;
}
