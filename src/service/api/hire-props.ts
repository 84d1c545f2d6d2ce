// A hire's props as the API accepts them (docs/manifest.md): `email` required and a valid address,
// `start` an ISO date, the other standard props strings, and extra props of any JSON type under
// names a template can reach. Props are template variables, so names that later layers would
// shadow (`responses`, `oauth`, `redirect_url`) are refused rather than silently ignored.

import { z } from "@hono/zod-openapi";

const text = z.string({ error: "must be a string" }).max(1000).optional();
const email = z.email({ error: "must be an email address such as ada@example.com" });

const PROP_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const SHADOWED = new Set(["responses", "oauth", "redirect_url"]);

const standardPropsShape = {
  email: email.openapi({ example: "ada@example.com" }),
  first_name: text.openapi({ example: "Ada" }),
  last_name: text.openapi({ example: "Lovelace" }),
  position: text,
  department: text,
  start: z.iso
    .date({ error: "must be an ISO date such as 2025-03-01" })
    .optional()
    .openapi({ example: "2025-03-01" }),
  manager: text,
  manager_email: email.optional(),
  buddy: text,
  buddy_email: email.optional(),
};

/** Extra props must be reachable from a template and must not be shadowed by a later layer. */
function checkExtraNames(
  props: Record<string, unknown>,
  ctx: z.RefinementCtx,
  ignore: ReadonlySet<string>,
): void {
  for (const name of Object.keys(props)) {
    if (ignore.has(name)) continue;
    if (!PROP_NAME.test(name)) {
      ctx.addIssue({
        code: "custom",
        path: [name],
        message: "prop names start with a letter or _ and hold letters, digits, _ and - only",
      });
    } else if (SHADOWED.has(name)) {
      ctx.addIssue({
        code: "custom",
        path: [name],
        message: `"${name}" is a variable every run defines, so a prop of that name could never be read`,
      });
    }
  }
}

/**
 * A schema of props (the standard ones, extras of any JSON type) plus `extra` keys that are not
 * props (e.g. `trigger`); those are validated by `extra` and excluded from the name checks.
 */
export function propsSchema<T extends z.ZodRawShape>(extra: T) {
  const ignore = new Set(Object.keys(extra));
  return (
    z
      .object({ ...standardPropsShape, ...extra })
      .catchall(z.any())
      // `when`: name problems are reported together with type problems, not only once those are fixed.
      .superRefine((props, ctx) => checkExtraNames(props, ctx, ignore), {
        when: (payload) =>
          typeof payload.value === "object" &&
          payload.value !== null &&
          !Array.isArray(payload.value),
      })
  );
}
