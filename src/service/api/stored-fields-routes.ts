// /api/hires/{id}/stored: a hire's stored fields (written by `store_data`, read by later runs).
// An admin can read, correct or remove them; a field set here has `run_id: null`. A field that holds
// a secret (judged by the run that stored it, or marked `secret` here) is only ever shown masked.
import { createRoute, z } from "@hono/zod-openapi";
import { hirewireError } from "../../errors/index.ts";
import type { JsonValue } from "../../manifest/index.ts";
import type { ApiApp, ResolvedDeps } from "./api-deps.ts";
import { secretFieldView } from "../../runner/stored-secrets.ts";
import { assertCount, assertJsonSize, LIMITS } from "./input-limits.ts";
import { mustGetHire } from "../../runner/lookup.ts";
import {
  errorResponses,
  IdParamSchema,
  JsonSchema,
  jsonBody,
  jsonResponse,
  SECURITY,
  StoredFieldSchema,
} from "./schemas.ts";
import { storedFieldJson, storedFieldsJson } from "./serialize.ts";

/** Stored fields are template variables: a name a template can reach. */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

const NameParamSchema = IdParamSchema.extend({
  name: z
    .string()
    .regex(FIELD_NAME, {
      error: "must start with a letter or _ and hold only letters, digits, _ and -",
    })
    .openapi({ param: { name: "name", in: "path" }, example: "SLACK_USER_ID" }),
});

const ValueBodySchema = z
  .object({
    value: JsonSchema.openapi({ description: "any JSON value, null included", example: "U012345" }),
    secret: z.boolean().optional().openapi({
      description:
        "true: the value is a secret — encrypted at rest, write-only from now on (shown as `***stored.NAME***`), sent raw by runs",
    }),
  })
  .strict()
  .refine((body) => "value" in body && body.value !== undefined, {
    error: 'send the new value as {"value": …}',
    path: ["value"],
  })
  .openapi("StoredFieldInput");

const StoredMapSchema = z.object({ stored: z.record(z.string(), StoredFieldSchema) });

const tags = ["hires"];

/** Registers the stored-field routes on `app`. */
export function storedFieldRoutes(app: ApiApp, deps: ResolvedDeps): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/hires/{id}/stored",
      tags,
      security: SECURITY,
      summary: "A hire's stored fields",
      request: { params: IdParamSchema },
      responses: { 200: jsonResponse(StoredMapSchema, "name → field"), ...errorResponses(404) },
    }),
    async (c) => {
      const hire = await mustGetHire(deps.store, c.req.valid("param").id);
      return c.json({ stored: storedFieldsJson(await deps.store.getStoredFields(hire.id)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/api/hires/{id}/stored/{name}",
      tags,
      security: SECURITY,
      summary: "Set one stored field",
      request: { params: NameParamSchema, body: jsonBody(ValueBodySchema) },
      responses: {
        200: jsonResponse(StoredFieldSchema.extend({ name: z.string() }), "the field as stored"),
        ...errorResponses(400, 404, 415, 422),
      },
    }),
    async (c) => {
      const { id, name } = c.req.valid("param");
      await mustGetHire(deps.store, id);
      const body = c.req.valid("json");
      const value = body.value as JsonValue;
      assertJsonSize(value, LIMITS.storedFieldBytes, "a stored field", "value");
      const fields = await deps.store.getStoredFields(id);
      const count = Object.keys(fields).length + (name in fields ? 0 : 1);
      assertCount(count, LIMITS.storedFieldsPerHire, "stored fields per hire", name);
      const field = await deps.store.setStoredField(
        id,
        name,
        value,
        body.secret === true ? { shown: secretFieldView(name) } : undefined,
      );
      return c.json({ name, ...storedFieldJson(field) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/api/hires/{id}/stored/{name}",
      tags,
      security: SECURITY,
      summary: "Delete one stored field",
      request: { params: NameParamSchema },
      responses: { 204: { description: "deleted" }, ...errorResponses(404) },
    }),
    async (c) => {
      const { id, name } = c.req.valid("param");
      await mustGetHire(deps.store, id);
      if (!(await deps.store.deleteStoredField(id, name))) {
        throw hirewireError("NOT_FOUND", "storedField", { hireId: id, name }, {});
      }
      return c.body(null, 204);
    },
  );
}
