/** The per-experiment section builders, by experiment name; others get the generic summary table. */
import type { SectionBuilder } from "../section.ts";
import { allocSection } from "./alloc.ts";

export const SECTION_BUILDERS: Readonly<Record<string, SectionBuilder>> = {
  alloc: allocSection,
};
