/**
 * `bun run pipeline --config FILE`: a bad value in the file is reported as a
 * config-file error naming the file and the key (not as a bad flag the user
 * never typed); an unknown key names the file and lists the valid keys; a
 * flag that overrides a file key is still reported as the flag.
 * How: parsePipelineArgs on a temp JSON file; no server starts.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parsePipelineArgs } from "../impl/pipeline/cli/pipeline.ts";
import { UsageError } from "../impl/pipeline/cli-args.ts";

const dir = mkdtempSync(join(tmpdir(), "eventlab-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFile(json: unknown): string {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(json));
  return path;
}

async function errorOf(argv: string[]): Promise<Error> {
  try {
    await parsePipelineArgs(argv);
  } catch (err) {
    return err as Error;
  }
  throw new Error(`parsePipelineArgs(${argv.join(" ")}) accepted`);
}

test("a bad value in the file names the file and the key, not a flag", async () => {
  const path = configFile({ ingestWorkers: "lots" });
  const err = await errorOf(["--config", path]);
  expect(err).toBeInstanceOf(UsageError);
  expect(err.message).toContain(`--config ${path}: key "ingestWorkers" (got "lots")`);
  expect(err.message).not.toContain("--ingest-workers");
});

test("an unknown key in the file names the file and lists the valid keys", async () => {
  const path = configFile({ bogus: 1 });
  const err = await errorOf(["--config", path]);
  expect(err.message).toMatch(
    new RegExp(`--config ${path}: unknown key "bogus"; valid keys: .*ingestWorkers`),
  );
});

test("a bad flag overriding a file key is reported as the flag", async () => {
  const path = configFile({ consumers: 1 });
  const err = await errorOf(["--config", path, "--consumers", "99"]);
  expect(err.message).toContain("--consumers");
  expect(err.message).not.toContain(`--config ${path}`);
});
