// An integration's secrets as the API shows them (runner/secrets-status.ts decides what they are).
import { z } from "@hono/zod-openapi";
import type { SecretStatus } from "../../runner/secrets-status.ts";
import { iso } from "./serialize.ts";
import { TimestampSchema } from "./schemas.ts";

export const SecretStatusSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().optional(),
    declared: z.boolean().openapi({ description: "listed in the manifest's initial_data_form" }),
    secret: z
      .boolean()
      .openapi({ description: 'masked in every output (false for items with "secret": false)' }),
    generated: z
      .boolean()
      .openapi({ description: "a fresh random value per run; never set by hand" }),
    set: z.boolean(),
    updated_at: TimestampSchema.optional(),
  })
  .openapi("SecretStatus");

/** One status as the API answers it: snake_case, the time as ISO text. */
export function secretStatusJson(status: SecretStatus): z.infer<typeof SecretStatusSchema> {
  const { updatedAt, ...rest } = status;
  return updatedAt !== undefined ? { ...rest, updated_at: iso(updatedAt) } : rest;
}
