// `POST /api/manifests/validate`: validates a manifest without saving it, so an editor (the web UI)
// can list every problem while the admin types. Always 200: an invalid manifest is the answer,
// not an error of the request.
import { createRoute, z } from "@hono/zod-openapi";
import { validateManifest } from "../../manifest/index.ts";
import type { ApiApp } from "./api-deps.ts";
import {
  errorResponses,
  JsonSchema,
  jsonBody,
  jsonResponse,
  ProblemSchema,
  SECURITY,
} from "./schemas.ts";

const ValidationSchema = z
  .object({
    valid: z.boolean().openapi({ description: "true when the manifest has no errors" }),
    problems: z
      .array(ProblemSchema)
      .openapi({ description: "errors; paths are relative to the manifest (the request body)" }),
    warnings: z
      .array(ProblemSchema)
      .openapi({ description: "non-fatal findings such as legacy keys" }),
  })
  .openapi("ManifestValidation");

/** Registers the validate route on `app`. */
export function validateRoutes(app: ApiApp): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/manifests/validate",
      tags: ["integrations"],
      security: SECURITY,
      summary: "Validate a manifest without saving it",
      description:
        "The body is the manifest itself. Answers every problem at once, each with its path (`execute[1].polling.amount`) and message.",
      request: { body: jsonBody(JsonSchema.openapi({ description: "the manifest JSON" })) },
      responses: {
        200: jsonResponse(ValidationSchema, "the verdict, with every problem and warning"),
        ...errorResponses(400, 415),
      },
    }),
    async (c) => {
      const result = validateManifest(c.req.valid("json"));
      const all = result.ok ? result.warnings : result.problems;
      return c.json(
        {
          valid: result.ok,
          problems: all.filter((problem) => problem.severity !== "warning"),
          warnings: all.filter((problem) => problem.severity === "warning"),
        },
        200,
      );
    },
  );
}
