/**
 * Process entry for isolation "process": reads one PointJob as JSON on stdin,
 * runs it, prints RESULT_MARKER + the PointReply as JSON on stdout and exits.
 */
import { type PointJob, RESULT_MARKER, runJobHere } from "./isolate.ts";

const job = JSON.parse(await Bun.stdin.text()) as PointJob;
const reply = await runJobHere(job, new AbortController().signal);
process.stdout.write(`\n${RESULT_MARKER}${JSON.stringify(reply)}\n`);
process.exit(0);
