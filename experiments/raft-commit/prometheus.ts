/**
 * Reads counters from Prometheus text (GET /metrics of an eventlab member or
 * an etcd member): the sum of every sample of the named metrics, whatever
 * their labels. Used for per-trial deltas (fsyncs, bytes written).
 */

/** Named maximum: how long one /metrics request may take, ms. */
const SCRAPE_TIMEOUT_MS = 5000;

/** Sum of all samples of `name` in `text` (0 when absent). */
export function sumMetric(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== " " && rest[0] !== "{") continue; // a longer name with this prefix
    const v = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(v)) sum += v;
  }
  return sum;
}

/** The named metrics summed over every member's /metrics (URLs given). */
export async function scrapeSums(
  urls: readonly string[],
  names: readonly string[],
): Promise<number[]> {
  const texts = await Promise.all(
    urls.map(async (u) => {
      const r = await fetch(u, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
      if (!r.ok) throw new Error(`GET ${u}: HTTP ${r.status}`);
      return r.text();
    }),
  );
  return names.map((n) => texts.reduce((s, t) => s + sumMetric(t, n), 0));
}
