// Zod schemas shared by several routes: error bodies, problems, pages, ids and the shapes of the
// records the API answers with. They feed request validation and the OpenAPI document alike.
import { z } from "@hono/zod-openapi";
import { RUN_STATUSES } from "../../engine/index.ts";
import { ERROR_CODES } from "../../errors/index.ts";

/** Any JSON value (manifests, params, stored fields). */
export const JsonSchema = z.any().openapi({ description: "any JSON value" });

export const ProblemSchema = z
  .object({
    path: z.string().openapi({ example: "execute[1].polling.amount" }),
    message: z.string(),
    code: z.string().optional(),
    severity: z.enum(["error", "warning"]).optional(),
    step: z.number().int().optional(),
  })
  .openapi("Problem");

export const ErrorSchema = z
  .object({
    code: z.enum(ERROR_CODES as [string, ...string[]]).openapi({ example: "NOT_FOUND" }),
    message: z.string(),
    path: z.string().optional(),
    problems: z.array(ProblemSchema).optional(),
  })
  .openapi("Error");

/** ISO 8601 timestamp in UTC, as every `*_at` field of the API. */
export const TimestampSchema = z.string().openapi({ example: "2025-03-01T09:30:00.000Z" });

export const IdParamSchema = z.object({
  id: z
    .string()
    .min(1)
    .openapi({ param: { name: "id", in: "path" } }),
});

/** Error responses every authenticated route can give; a JSON body (415) may also be too large (413). */
export function errorResponses(...statuses: Array<400 | 404 | 409 | 413 | 415 | 422>) {
  const responses: Record<
    number,
    { description: string; content: { "application/json": { schema: typeof ErrorSchema } } }
  > = {
    401: {
      description: "missing or invalid API token",
      content: { "application/json": { schema: ErrorSchema } },
    },
  };
  const descriptions = {
    400: "malformed request body",
    404: "not found",
    409: "conflict",
    413: "INPUT_TOO_LARGE: the body, or what it would store, is over a limit (named in the message)",
    415: "the body is not JSON",
    422: "invalid input",
  };
  if (statuses.includes(415) && !statuses.includes(413)) statuses = [...statuses, 413];
  for (const status of statuses) {
    responses[status] = {
      description: descriptions[status],
      content: { "application/json": { schema: ErrorSchema } },
    };
  }
  return responses;
}

/** A JSON response of `schema` with a description, for route definitions. */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

/** A JSON request body of `schema`, required. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { "application/json": { schema } } };
}

/** `{items, next_cursor}`: pass next_cursor back as `cursor` for the next (older) page. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    next_cursor: z.string().nullable(),
  });
}

export const PageQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .optional()
    .openapi({
      param: { name: "limit", in: "query" },
      description: "page size, 1–500 (default 50)",
    }),
  cursor: z
    .string()
    .min(1)
    .optional()
    .openapi({
      param: { name: "cursor", in: "query" },
      description: "next_cursor of the previous page",
    }),
});

export const RunStatusSchema = z.enum(RUN_STATUSES);

export const StoredFieldSchema = z
  .object({
    value: JsonSchema.openapi({
      description: "the value; for a secret field only its masked view, e.g. `Bearer ***TOKEN***`",
    }),
    secret: z.boolean().openapi({
      description:
        "the value holds a secret: encrypted at rest, shown masked, sent raw by runs that use it",
    }),
    updated_at: TimestampSchema,
    run_id: z
      .string()
      .nullable()
      .openapi({ description: "the run that wrote it; null when set through the API" }),
  })
  .openapi("StoredField");

export const SECURITY = [{ bearer: [] as string[] }];
