/**
 * Progress: a cli-progress bar when stdout is a terminal (Bun reports
 * isTTY === undefined when piped, so only `true` counts), otherwise one line
 * every PLAIN_INTERVAL_MS with done/total, elapsed, ETA and the current point,
 * which reads well in CI logs.
 */
import cliProgress from "cli-progress";

export const PLAIN_INTERVAL_MS = 5000;
/** Characters of the bar line that are not the label (bar, counts, times). */
const BAR_FIXED_CHARS = 75;

export interface Progress {
  /** Starts a unit of work (a repetition of a point). */
  start(label: string): void;
  /** Finishes one unit. */
  tick(): void;
  /** Prints a message without breaking the bar. */
  log(message: string): void;
  stop(): void;
}

function fmtS(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${s.toFixed(0)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
}

class PlainProgress implements Progress {
  private done = 0;
  private label = "";
  private readonly t0 = performance.now();
  private lastPrint = performance.now();
  constructor(
    private readonly total: number,
    private readonly out: (line: string) => void,
  ) {}
  start(label: string): void {
    this.label = label;
    this.maybePrint();
  }
  tick(): void {
    this.done++;
    this.maybePrint();
  }
  private maybePrint(): void {
    const now = performance.now();
    if (now - this.lastPrint < PLAIN_INTERVAL_MS) return;
    this.lastPrint = now;
    const elapsedS = (now - this.t0) / 1000;
    const etaS = this.done > 0 ? (elapsedS / this.done) * (this.total - this.done) : Number.NaN;
    this.out(
      `[${this.done}/${this.total}] elapsed ${fmtS(elapsedS)} eta ${fmtS(etaS)} now: ${this.label}`,
    );
  }
  log(message: string): void {
    this.out(message);
  }
  stop(): void {
    const elapsedS = (performance.now() - this.t0) / 1000;
    this.out(`[${this.done}/${this.total}] done in ${fmtS(elapsedS)}`);
  }
}

class BarProgress implements Progress {
  private readonly bar: cliProgress.SingleBar;
  constructor(total: number) {
    this.bar = new cliProgress.SingleBar(
      {
        format: "{bar} {value}/{total} | {duration_formatted} eta {eta_formatted} | {label}",
        hideCursor: true,
        clearOnComplete: false,
        // The TTY check is on stdout, so the bar goes there too (cli-progress defaults to stderr).
        stream: process.stdout,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total, 0, { label: "" });
  }
  start(label: string): void {
    // A label wider than the terminal wraps, and the bar can no longer redraw itself in place.
    const room = Math.max(20, (process.stdout.columns ?? 120) - BAR_FIXED_CHARS);
    this.bar.update({ label: label.length > room ? `${label.slice(0, room - 1)}…` : label });
  }
  tick(): void {
    this.bar.increment();
  }
  log(message: string): void {
    // cli-progress redraws on the next update; a newline first keeps the message whole.
    process.stdout.write(`\r\x1b[2K${message}\n`);
    this.bar.render();
  }
  stop(): void {
    this.bar.stop();
  }
}

/** A progress display for `total` units; `quiet` prints nothing. */
export function createProgress(total: number, opts: { quiet?: boolean } = {}): Progress {
  if (opts.quiet) return { start() {}, tick() {}, log() {}, stop() {} };
  if (process.stdout.isTTY === true) return new BarProgress(total);
  return new PlainProgress(total, (line) => console.log(line));
}
