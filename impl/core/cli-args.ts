/**
 * A small flag parser shared by the pipeline and Raft CLIs: a table of flags maps
 * `--kebab-name value` (or `--kebab-name=value`) to camelCase keys, then a zod
 * schema validates the merged options; every error names the flag and the
 * valid range.
 */
import type { z } from "zod";

export interface FlagSpec {
  /** Flag name without dashes, kebab-case. */
  flag: string;
  /** Option key the value lands in. */
  key: string;
  kind: "int" | "number" | "string" | "bool";
  /** One line: what it does, its unit, the valid range and the default. */
  help: string;
}

export class UsageError extends Error {
  override name = "UsageError";
}

/** Turns argv into an object of raw option values, keyed by FlagSpec.key. */
export function parseFlags(argv: string[], specs: FlagSpec[]): Record<string, unknown> {
  const byFlag = new Map(specs.map((s) => [s.flag, s]));
  const out: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) throw new UsageError(`unexpected argument "${arg}" (see --help)`);
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = byFlag.get(name);
    if (!spec) throw new UsageError(`unknown option --${name} (see --help)`);
    let raw: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    if (raw === undefined && spec.kind === "bool") {
      // `--flag` alone means true; `--flag true|false` takes the next word too.
      const next = argv[i + 1];
      if (next === "true" || next === "false" || next === "1" || next === "0") raw = argv[++i]!;
      else {
        out[spec.key] = true;
        continue;
      }
    }
    if (raw === undefined) {
      raw = argv[++i];
      if (raw === undefined) throw new UsageError(`--${name} needs a value: ${spec.help}`);
    }
    out[spec.key] = convert(spec, raw);
  }
  return out;
}

function convert(spec: FlagSpec, raw: string): unknown {
  if (spec.kind === "string") return raw;
  if (spec.kind === "bool") {
    if (raw === "true" || raw === "1") return true;
    if (raw === "false" || raw === "0") return false;
    throw new UsageError(`--${spec.flag} must be true or false, got "${raw}"`);
  }
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || (spec.kind === "int" && !Number.isInteger(n))) {
    throw new UsageError(
      `--${spec.flag} must be ${spec.kind === "int" ? "an integer" : "a number"}, got "${raw}": ${spec.help}`,
    );
  }
  return n;
}

/** Options read from a --config file: its path and the keys whose values came from it. */
export interface ConfigFileSource {
  path: string;
  /** Keys set by the file and not overridden by a flag. */
  keys: readonly string[];
}

/**
 * Parses `raw` with `schema`; every problem is named by where the value came
 * from: a key of the --config file (file and key), else the flag.
 */
export function validateOptions<S extends z.ZodType>(
  schema: S,
  raw: Record<string, unknown>,
  specs: FlagSpec[],
  configFile?: ConfigFileSource,
): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const byKey = new Map(specs.map((s) => [s.key, s]));
  const fromFile = new Set(configFile?.keys ?? []);
  const lines = parsed.error.issues.map((issue) => {
    if (issue.code === "unrecognized_keys" && configFile)
      return `--config ${configFile.path}: unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}; valid keys: ${specs
        .map((s) => s.key)
        .filter((k) => k !== "config")
        .join(", ")}`;
    const key = String(issue.path[0] ?? "");
    const spec = byKey.get(key);
    const value = key in raw ? ` (got ${JSON.stringify(raw[key])})` : "";
    const help = spec ? `; ${spec.help}` : "";
    if (configFile && fromFile.has(key))
      return `--config ${configFile.path}: key "${key}"${value}: ${issue.message}${help}`;
    const where = spec ? `--${spec.flag}` : key ? `option "${key}"` : "options";
    return `${where}${value}: ${issue.message}${help}`;
  });
  throw new UsageError(lines.join("\n"));
}

/** The --help text: usage line, then one line per flag. */
export function helpText(usage: string, specs: FlagSpec[]): string {
  const width = Math.max(...specs.map((s) => s.flag.length + (s.kind === "bool" ? 0 : 6)));
  const rows = specs.map((s) => {
    const left =
      s.kind === "bool" ? `--${s.flag}` : `--${s.flag} <${s.kind === "string" ? "s" : "n"}>`;
    return `  ${left.padEnd(width + 4)}  ${s.help}`;
  });
  return `${usage}\n\nOptions:\n${rows.join("\n")}\n  ${"--help".padEnd(width + 4)}  this text\n`;
}
