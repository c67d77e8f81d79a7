/** The per-experiment section builders, by experiment name; others get the generic summary table. */
import type { SectionBuilder } from "../section.ts";
import { allocSection } from "./alloc.ts";
import { pipelineSection } from "./pipeline.ts";
import { queueSection } from "./queue.ts";
import { raftElectionSection } from "./raft-election.ts";
import { spscMisuseSection } from "./spsc-misuse.ts";
import { wakeupSection } from "./wakeup.ts";

export const SECTION_BUILDERS: Readonly<Record<string, SectionBuilder>> = {
  alloc: allocSection,
  queue: queueSection,
  wakeup: wakeupSection,
  "spsc-misuse": spscMisuseSection,
  "raft-election": raftElectionSection,
  pipeline: pipelineSection,
};
