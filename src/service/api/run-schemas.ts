// Zod schemas of runs as the API shows them: the run, its attempts (masked request/response,
// timing, error) and its files. Shared by the run routes and the hire route that triggers runs.
import { z } from "@hono/zod-openapi";
import { RUN_BLOCKS } from "../../engine/types.ts";
import { RUN_REQUESTS } from "../../store/records.ts";
import { JsonSchema, RunStatusSchema, TimestampSchema } from "./schemas.ts";

const RunErrorSchema = z
  .object({
    code: z.string(),
    message: z.string(),
    path: z.string().optional(),
    step: z.number().int().optional(),
    details: z.record(z.string(), z.any()).optional(),
  })
  .openapi("RunError");

export const RunSchema = z
  .object({
    id: z.string(),
    integration_id: z.string(),
    hire_id: z.string().nullable(),
    block: z.enum(RUN_BLOCKS),
    status: RunStatusSchema,
    params: z.record(z.string(), JsonSchema),
    step: z
      .number()
      .int()
      .openapi({ description: "zero-based index of the step being run, or that failed" }),
    attempt: z.number().int().openapi({ description: "attempts made so far for that step" }),
    error: RunErrorSchema.nullable(),
    stored: z
      .record(z.string(), JsonSchema)
      .openapi({ description: "fields this run stored for the hire" }),
    result: JsonSchema.nullable().openapi({
      description:
        "what the block produced: exists → {exists, reason}; sync → {users, skipped, pages}",
    }),
    notifications: z
      .object({
        status: z.enum(["sending", "sent", "partly_sent", "not_sent"]).openapi({
          description:
            "sent: every notification was sent; partly_sent / not_sent: some / none were",
        }),
        sent: z.number().int(),
        not_sent: z.number().int(),
        summary: z.string().openapi({
          description:
            "one sentence, e.g. 'no notification sent; 1 not sent: email notifications are not configured: …'",
          example:
            "no notification sent; 1 not sent: email notifications are not configured: set HIREWIRE_SMTP_HOST and HIREWIRE_SMTP_FROM",
        }),
        results: z.array(JsonSchema).openapi({
          description:
            "one per post_execute_notification item: {index, type, to, ok, error?, message_id?}",
        }),
      })
      .nullable()
      .openapi({ description: "post_execute_notification after a succeeded execute run" }),
    resent_after_interruption: z
      .array(z.object({ step: z.number().int(), attempt: z.number().int(), at: TimestampSchema }))
      .openapi({
        description:
          "requests in flight at a crash that were sent again with the same Idempotency-Key (integrations with idempotency_keys)",
      }),
    wake_at: TimestampSchema.nullable().openapi({ description: "when a waiting run wakes" }),
    pending_request: z
      .enum(RUN_REQUESTS)
      .nullable()
      .openapi({ description: "a cancel or resume not yet acted on" }),
    idempotency_key: z.string().nullable(),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
    finished_at: TimestampSchema.nullable(),
    erased: z.object({ at: TimestampSchema, reason: z.string() }).nullable().openapi({
      description:
        'set once the run\'s personal details were erased ("hire deleted" or "retention"): only its skeleton is left',
    }),
  })
  .openapi("Run");

const AttemptSchema = z
  .object({
    id: z.string(),
    seq: z.number().int(),
    step: z.number().int(),
    attempt: z.number().int(),
    name: z.string().optional(),
    started_at: TimestampSchema,
    duration_ms: z.number(),
    request: z
      .record(z.string(), z.any())
      .nullable()
      .openapi({ description: "method, url, headers, body (masked)" }),
    response: z
      .record(z.string(), z.any())
      .nullable()
      .openapi({ description: "status, headers, body or file (masked)" }),
    redirects: z.array(z.any()),
    error: z.record(z.string(), z.any()).nullable(),
    resent_after_interruption: z.boolean().openapi({
      description:
        "this POST/PATCH was in flight when the service stopped and was sent again with the same Idempotency-Key",
    }),
  })
  .openapi("Attempt");

export const RunFileSchema = z
  .object({
    name: z.string(),
    size: z.number().int(),
    content_type: z.string(),
    created_at: TimestampSchema,
    expires_at: TimestampSchema.nullable(),
    download_url: z.string(),
  })
  .openapi("RunFile");

export const RunDetailSchema = RunSchema.extend({
  attempts: z.array(AttemptSchema),
  files: z.array(RunFileSchema),
}).openapi("RunDetail");
