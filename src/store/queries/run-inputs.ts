// What starting a run reads, in one round trip: the integration, its secrets, the hire and the
// hire's stored fields. A UNION ALL of the four reads, each row tagged with what it is; JSON
// columns are cast to text so the columns line up in both dialects (and read back as the text
// that was written, as the single reads do).
import { sql } from "kysely";
import type { StoreContext } from "../context.ts";
import { toMillis } from "../json-codec.ts";
import { compiledShape } from "../query-shapes.ts";
import type { RunInputs } from "../store.ts";
import { toHire } from "./hires.ts";
import { decryptSecrets, toIntegration } from "./integrations.ts";
import { toStoredValues } from "./stored-fields.ts";

/** One row of the union: `kind` says which read it came from; the rest are positional. */
interface InputRow {
  kind: "f" | "h" | "i" | "s";
  k: string;
  a: string | null;
  b: string | null;
  c: string | null;
  m: number | string | null;
  n: number | string | null;
}

export async function getRunInputs(
  ctx: StoreContext,
  integrationId: string,
  hireId: string,
): Promise<RunInputs> {
  // Compiled once (query-shapes.ts): every run reads its inputs twice, at its trigger and its claim.
  const query = compiledShape(`${ctx.traits.name}:runInputs`, [integrationId, hireId], (value) =>
    sql`
    select 'i' as kind, id as k, name as a, cast(manifest as text) as b,
           cast(options as text) as c, created_at as m, updated_at as n
      from integrations where id = ${value(0)} and deleted_at is null
    union all
    select 's', key, value_enc, null, null, null, null
      from integration_secrets where integration_id = ${value(0)}
    union all
    select 'h', id, cast(props as text), null, null, created_at, updated_at
      from hires where id = ${value(1)}
    union all
    select 'f', name, cast(value as text), value_enc, run_id, sensitive, null
      from stored_fields where hire_id = ${value(1)}
    order by kind, k`.compile(ctx.db),
  );
  const { rows } = await ctx.db.executeQuery<InputRow>(query);
  const secretRows: Array<{ key: string; value_enc: string }> = [];
  const fieldRows: Parameters<typeof toStoredValues>[1][number][] = [];
  let inputs: Omit<RunInputs, "storedValues" | "secrets"> = {
    integration: undefined,
    hire: undefined,
  };
  for (const row of rows) {
    if (row.kind === "i") {
      inputs = {
        ...inputs,
        integration: toIntegration({
          id: row.k,
          name: row.a ?? "",
          manifest: row.b ?? "null",
          options: row.c ?? "{}",
          created_at: toMillis(row.m),
          updated_at: toMillis(row.n),
        }),
      };
    } else if (row.kind === "h") {
      inputs = {
        ...inputs,
        hire: toHire({
          id: row.k,
          props: row.a ?? "{}",
          created_at: toMillis(row.m),
          updated_at: toMillis(row.n),
        }),
      };
    } else if (row.kind === "s") {
      secretRows.push({ key: row.k, value_enc: row.a ?? "" });
    } else {
      fieldRows.push({
        name: row.k,
        value: row.a,
        value_enc: row.b,
        run_id: row.c,
        sensitive: row.m,
      });
    }
  }
  let secrets: Record<string, string> | undefined;
  return {
    ...inputs,
    storedValues: inputs.hire === undefined ? {} : toStoredValues(ctx, fieldRows),
    secrets: () => (secrets ??= decryptSecrets(ctx, integrationId, secretRows)),
  };
}
