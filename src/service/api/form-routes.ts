// `GET /api/integrations/{id}/form`: the manifest's per-run `form` with every choice resolved —
// fixed `items`, or fetched now with the integration's secrets (and the hire's props when
// `hire_id` is given) — so a trigger screen can be built. A choice request that fails gives its
// field an `options_error` and leaves the other fields alone.
import { errorMessage } from "../../errors/index.ts";
import { createRoute, z } from "@hono/zod-openapi";
import { accessHire } from "../../runner/access-overview.ts";
import { integrationEgress } from "../../runner/egress-policy.ts";
import { formFieldViews, type FormOptionsInput } from "../../runner/form-options.ts";
import { integrationManifest } from "../../runner/prepared-manifest.ts";
import { splitOAuthSecret } from "../../secrets/oauth-secret.ts";
import type { ApiApp, ResolvedDeps } from "./api-deps.ts";
import { problemError } from "./api-errors.ts";
import { mustGetIntegration, notFound } from "../../runner/lookup.ts";
import { errorResponses, IdParamSchema, jsonResponse, SECURITY } from "./schemas.ts";

const QuerySchema = z.object({
  hire_id: z
    .string()
    .min(1)
    .optional()
    .openapi({
      param: { name: "hire_id", in: "query" },
      description: "the hire the run would be for; choice requests may use its props",
    }),
});

const FormFieldSchema = z
  .object({
    id: z.string().openapi({ description: "the param name of the answer", example: "TEAM_ID" }),
    name: z.string(),
    type: z.enum(["input", "choice"]),
    description: z.string().optional(),
    required: z
      .boolean()
      .openapi({ description: 'true only when the manifest says "required": true' }),
    options: z
      .array(z.object({ value: z.string(), name: z.string() }))
      .optional()
      .openapi({ description: "a choice field's options: send `value` as the param" }),
    options_error: z
      .string()
      .optional()
      .openapi({ description: "why the options could not be fetched (masked)" }),
  })
  .openapi("FormField");

const FormSchema = z.object({ fields: z.array(FormFieldSchema) }).openapi("Form");

/** Registers the form route on `app`. */
export function formRoutes(app: ApiApp, deps: ResolvedDeps): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/integrations/{id}/form",
      tags: ["integrations"],
      security: SECURITY,
      summary: "The integration's per-run form, with choice options resolved",
      description:
        "Answers go in `params` of POST /api/runs; a run missing a required answer, or with a fixed choice that is not listed, is refused with 422 before anything is sent.",
      request: { params: IdParamSchema, query: QuerySchema },
      responses: {
        200: jsonResponse(FormSchema, "the fields, in manifest order"),
        ...errorResponses(404, 409, 422),
      },
    }),
    async (c) => {
      const integration = await mustGetIntegration(deps.store, c.req.valid("param").id);
      const hireId = c.req.valid("query").hire_id;
      const hire = hireId !== undefined ? await accessHire(deps.store, hireId) : undefined;
      if (hireId !== undefined && hire === undefined) throw notFound("hire", hireId, "hire_id");
      const validation = integrationManifest(integration);
      if (!validation.ok)
        throw problemError(
          "VALIDATION",
          errorMessage("VALIDATION", "savedManifestInvalid", {}),
          validation.problems.filter((problem) => problem.severity === "error"),
          "manifest",
        );
      const { secrets, oauth } = splitOAuthSecret(await deps.store.getSecrets(integration.id));
      const input: FormOptionsInput = {
        manifest: validation.manifest,
        secrets,
        files: deps.files,
        checkAddress: integrationEgress(integration.options, deps.egress),
      };
      if (hire !== undefined) {
        input.hire = hire.props;
        input.stored = hire.stored;
        if (hire.storedSecrets !== undefined) input.storedSecrets = hire.storedSecrets;
      }
      if (oauth !== undefined) input.oauth = oauth;
      const redirectUrl = deps.oauthCallbackUrl?.(integration.id);
      if (redirectUrl !== undefined) input.redirectUrl = redirectUrl;
      const fields = (await formFieldViews(input)).map(({ optionsError, ...field }) =>
        optionsError !== undefined ? { ...field, options_error: optionsError } : field,
      );
      return c.json({ fields }, 200);
    },
  );
}
