/** The per-experiment section builders, by experiment name; others get the generic summary table. */

import { allocSection } from "../../alloc/section.ts";
import { pipelineSection } from "../../pipeline/section.ts";
import { queueSection } from "../../queue/section.ts";
import { raftElectionSection } from "../../raft-election/section.ts";
import { spscMisuseSection } from "../../spsc-misuse/section.ts";
import { wakeupSection } from "../../wakeup/section.ts";
import type { SectionBuilder } from "../section.ts";

export const SECTION_BUILDERS: Readonly<Record<string, SectionBuilder>> = {
  alloc: allocSection,
  queue: queueSection,
  wakeup: wakeupSection,
  "spsc-misuse": spscMisuseSection,
  "raft-election": raftElectionSection,
  pipeline: pipelineSection,
};
