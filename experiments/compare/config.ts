/**
 * compare.config.json: the sizes of `bun run compare`'s short measurement and
 * the committed ratio thresholds (row id -> minimum ratio to the baseline,
 * higher is better). Validated with zod; an error names the field.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { RecordBytesSchema } from "../../impl/core/contracts.ts";

const Thresholds = z.record(z.string().min(1), z.number().positive());

export const CompareConfigSchema = z
  .object({
    $comment: z.string().optional(),
    /** Repetitions of every row; each repetition measures every implementation side by side. */
    repeats: z.number().int().min(1).max(50),
    allocator: z
      .object({
        baseline: z.string().min(1),
        recordBytes: RecordBytesSchema,
        /** Events kept alive while measuring (a live window, released in seeded random order). */
        liveEvents: z.number().int().min(1).max(65536),
        /** Timed acquire+write+release operations per repetition. */
        opsPerRepeat: z.number().int().min(1000).max(50_000_000),
        /** Operations of the correctness stress (out-of-order releases, pattern checks). */
        checkOps: z.number().int().min(100).max(10_000_000),
        minRatio: Thresholds,
        why: z.record(z.string(), z.string()).optional(),
      })
      .strict(),
    queue: z
      .object({
        baseline: z.string().min(1),
        recordBytes: RecordBytesSchema,
        capacitySlots: z
          .number()
          .int()
          .min(1)
          .max(1 << 22),
        batchRecords: z.number().int().min(1).max(65536),
        /** Producers of the multi-producer rows (queues with capability multiProducer). */
        multiProducers: z.number().int().min(2).max(64),
        /** Upper bound on events per producer in each timed run (payload checks off, ids checked). */
        eventsPerProducer: z.number().int().min(1).max(100_000_000),
        /** Lower bound on timed events per producer (timedEvents in compare/queue.ts). */
        minEventsPerProducer: z.number().int().min(1).max(100_000_000),
        /** Aim of each timed run's length, from the check run's rate. */
        targetRunS: z.number().positive().max(60),
        /** Events per producer in the one run per row with pattern payloads checked byte by byte. */
        checkEventsPerProducer: z.number().int().min(1).max(100_000_000),
        timeoutMs: z.number().int().min(100).max(600_000),
        minRatio: Thresholds,
        why: z.record(z.string(), z.string()).optional(),
      })
      .strict(),
  })
  .strict();

export type CompareConfig = z.infer<typeof CompareConfigSchema>;

export const DEFAULT_CONFIG_PATH = "compare.config.json";

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function parseCompareConfig(json: unknown, label: string): CompareConfig {
  const parsed = CompareConfigSchema.safeParse(json);
  if (!parsed.success) {
    const msg = parsed.error.issues
      .map((i) => `key ${i.path.map(String).join(".") || "(root)"}: ${i.message}`)
      .join("; ");
    throw new ConfigError(`config file ${label}: ${msg}`);
  }
  return parsed.data;
}

export function loadCompareConfig(path = DEFAULT_CONFIG_PATH): CompareConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ConfigError(`config file ${path}: ${(err as Error).message}`);
  }
  return parseCompareConfig(json, path);
}
