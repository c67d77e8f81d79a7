/**
 * CSV in and out. Rows are written with papaparse (LF line endings, columns in
 * the experiment's rowSchema order) incrementally, one append per row, so an
 * interrupted run keeps every finished row. Reading parses with papaparse and
 * validates every row with the same rowSchema, coerced from text column by
 * column: numbers via z.coerce (an empty cell is an error, not 0), booleans
 * via z.stringbool() ("false" stays false), nullable columns from an empty cell;
 * a column with a default may be absent (a CSV written before it existed).
 */
import { appendFileSync, writeFileSync } from "node:fs";
import Papa from "papaparse";
import { z } from "zod";

export class CsvError extends Error {
  override name = "CsvError";
}

type Def = { type: string; innerType?: z.ZodType; options?: z.ZodType[]; values?: unknown[] };
function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { def: Def }).def;
}

/** True when every value `schema` accepts is a number (number, numeric literal, union of them). */
function isNumeric(schema: z.ZodType): boolean {
  const def = defOf(schema);
  if (def.type === "number") return true;
  if (def.type === "literal") return (def.values ?? []).every((v) => typeof v === "number");
  if (def.type === "union") return (def.options ?? []).every(isNumeric);
  return false;
}

/** A schema that takes the CSV text of one cell and yields what `field` accepts. */
export function csvCellSchema(field: z.ZodType): z.ZodType {
  const def = defOf(field);
  if (def.type === "nullable" && def.innerType) {
    const inner = csvCellSchema(def.innerType);
    return z.union([z.literal("").transform(() => null), inner]);
  }
  if (def.type === "optional" && def.innerType) {
    const inner = csvCellSchema(def.innerType);
    return z.union([z.literal("").transform(() => undefined), inner]);
  }
  if (def.type === "default" && def.innerType) {
    // Absent column (an older CSV): the default; present: the inner column's cell.
    const inner = csvCellSchema(def.innerType);
    return inner.optional().transform((v) => (v === undefined ? field.parse(undefined) : v));
  }
  if (def.type === "boolean") return z.stringbool().pipe(field as z.ZodType<unknown, boolean>);
  if (isNumeric(field))
    return z
      .string()
      .trim()
      .min(1, "empty cell, expected a number")
      .pipe(z.coerce.number())
      .pipe(field as z.ZodType<unknown, number>);
  return field;
}

/** The row schema of an experiment, reading CSV text cells. */
export function csvRowSchema(rowSchema: z.ZodObject<Record<string, z.ZodType>>): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(rowSchema.shape)) shape[key] = csvCellSchema(field);
  return z.object(shape).strict();
}

/** One cell's text: null and undefined become an empty cell. */
function cell(v: unknown): unknown {
  return v === null || v === undefined ? "" : v;
}

/** CSV text (header + rows, LF line endings, trailing newline) for `rows` in `columns` order. */
export function toCsv(
  rows: readonly Record<string, unknown>[],
  columns: readonly string[],
): string {
  const data = rows.map((r) => columns.map((c) => cell(r[c])));
  return `${Papa.unparse({ fields: [...columns], data }, { newline: "\n" })}\n`;
}

/** Writes a CSV header at creation and appends one row per call (each append reaches the file at once). */
export class CsvAppender {
  private count = 0;
  constructor(
    readonly path: string,
    readonly columns: readonly string[],
  ) {
    writeFileSync(path, `${Papa.unparse([[...columns]], { newline: "\n" })}\n`);
  }
  append(row: Record<string, unknown>): void {
    const line = Papa.unparse([this.columns.map((c) => cell(row[c]))], { newline: "\n" });
    appendFileSync(this.path, `${line}\n`);
    this.count++;
  }
  get rows(): number {
    return this.count;
  }
}

/**
 * Parses CSV text and validates every row with `rowSchema` (via csvRowSchema).
 * Throws CsvError naming the file, the data row (1-based), its line and the column.
 */
export function parseCsv(
  text: string,
  rowSchema: z.ZodObject<Record<string, z.ZodType>>,
  label: string,
): Record<string, unknown>[] {
  if (text.includes("\r")) throw new CsvError(`${label}: CR line endings found; expected LF only`);
  const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
  if (parsed.errors.length > 0) {
    const e = parsed.errors[0]!;
    throw new CsvError(`${label}: data row ${(e.row ?? 0) + 1}: ${e.message}`);
  }
  const expected = Object.keys(rowSchema.shape);
  const got = parsed.meta.fields ?? [];
  // A column the schema defaults (added after older CSVs were written) may be absent.
  const optional = (c: string) => rowSchema.shape[c]!.safeParse(undefined).success;
  const missing = expected.filter((c) => !got.includes(c) && !optional(c));
  const extra = got.filter((c) => !expected.includes(c));
  if (missing.length > 0 || extra.length > 0)
    throw new CsvError(
      `${label}: header does not match the schema` +
        (missing.length ? `; missing columns: ${missing.join(", ")}` : "") +
        (extra.length ? `; unknown columns: ${extra.join(", ")}` : ""),
    );
  const schema = csvRowSchema(rowSchema);
  return parsed.data.map((raw, i) => {
    const r = schema.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      const column = String(issue.path[0] ?? "(row)");
      throw new CsvError(
        `${label}: data row ${i + 1} (line ${i + 2}), column ${column}: ${issue.message} (cell: ${JSON.stringify(raw[column])})`,
      );
    }
    return r.data as Record<string, unknown>;
  });
}
