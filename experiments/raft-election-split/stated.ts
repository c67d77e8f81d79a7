/** The figures the Raft paper states for Figure 16 (Ongaro and Ousterhout 2014, §9.3); one source for the experiment, its section and the script. */
/** The line, the statistic (a measured column of raft-election-split) and the paper's value. */
export const STATED = [
  { id: "150-155-median", lo: 150, hi: 155, stat: "medianMs", paperMs: 287 },
  { id: "150-200-worst", lo: 150, hi: 200, stat: "worstMs", paperMs: 513 },
  { id: "12-24-mean", lo: 12, hi: 24, stat: "meanMs", paperMs: 35 },
  { id: "12-24-worst", lo: 12, hi: 24, stat: "worstMs", paperMs: 152 },
] as const;
