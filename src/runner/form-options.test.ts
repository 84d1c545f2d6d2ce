import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  sendJson,
  startTargetServer,
  type TargetServer,
} from "../../test/support/target-server.ts";
import { DiskFileStore } from "../files/index.ts";
import type { FormField, ProvisioningManifest } from "../manifest/types.ts";
import { egressCheck } from "./egress-policy.ts";
import { formFieldViews, mapChoices, type FormOptionsInput } from "./form-options.ts";

const TOKEN = "form-token-0123456789";
let target: TargetServer;
let dir: string;
let files: DiskFileStore;

beforeAll(async () => {
  target = await startTargetServer();
  dir = await mkdtemp(path.join(tmpdir(), "hirewire-form-"));
  files = new DiskFileStore(dir);
  target.route("GET", "/teams", (req, res) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return sendJson(res, 401, {});
    sendJson(res, 200, {
      data: [
        { gid: "t1", name: "Support", meta: { label: "Support team" } },
        { gid: 2, name: "Sales", meta: { label: "Sales team" } },
        { name: "no id" },
      ],
    });
  });
  target.route("POST", "/search", (req, res) =>
    sendJson(res, 200, [{ id: `for-${(req.json as { email: string }).email}`, name: "Match" }]),
  );
  target.route("GET", "/object", (_req, res) => sendJson(res, 200, { data: { id: 1 } }));
  target.route("GET", "/forbidden", (_req, res) => sendJson(res, 403, { error: TOKEN }));
});

afterAll(async () => {
  await target.close();
  await rm(dir, { recursive: true, force: true });
});

function input(form: FormField[], extra: Partial<FormOptionsInput> = {}): FormOptionsInput {
  const manifest: ProvisioningManifest = {
    headers: { Authorization: "Bearer {{ API_TOKEN }}" },
    form,
    execute: [{ url: `${target.url}/echo` }],
  };
  return { manifest, secrets: { API_TOKEN: TOKEN }, files, ...extra };
}

describe("formFieldViews", () => {
  it("lists fixed items and marks fields required only when they say so", async () => {
    const views = await formFieldViews(
      input([
        {
          id: "TEAM",
          name: "Team",
          type: "choice",
          items: [{ id: "1", name: "Support" }],
          description: "where they work",
          required: true,
        },
        { id: "NOTE", name: "Note", type: "input" },
      ]),
    );
    expect(views).toEqual([
      {
        id: "TEAM",
        name: "Team",
        type: "choice",
        description: "where they work",
        required: true,
        options: [{ value: "1", name: "Support" }],
      },
      { id: "NOTE", name: "Note", type: "input", required: false },
    ]);
  });

  it("fetches choices with the manifest's headers, reading data_from and choice_value/choice_name", async () => {
    const [view] = await formFieldViews(
      input([
        {
          id: "TEAM",
          name: "Team",
          type: "choice",
          url: `${target.url}/teams`,
          data_from: "data",
          choice_value: "gid",
          choice_name: "meta.label",
        },
      ]),
    );
    expect(view!.options).toEqual([
      { value: "t1", name: "Support team" },
      { value: "2", name: "Sales team" },
    ]);
    expect(view!.optionsError).toBeUndefined();
  });

  it("renders the hire into a POST choice request and defaults to id/name and the whole body", async () => {
    const [view] = await formFieldViews(
      input(
        [
          {
            id: "ACCOUNT",
            name: "Account",
            type: "choice",
            url: `${target.url}/search`,
            method: "POST",
            data: { email: "{{ email }}" },
          },
        ],
        { hire: { email: "ada@example.com" } },
      ),
    );
    expect(view!.options).toEqual([{ value: "for-ada@example.com", name: "Match" }]);
  });

  it("gives each failing field its own masked error and still lists the others", async () => {
    const views = await formFieldViews(
      input([
        { id: "A", name: "A", type: "choice", url: `${target.url}/forbidden?key=${TOKEN}` },
        { id: "B", name: "B", type: "choice", url: `${target.url}/object`, data_from: "data" },
        { id: "C", name: "C", type: "choice", url: `${target.url}/teams`, data_from: "nope" },
        { id: "D", name: "D", type: "choice", url: "{{ BASE_URL }}/teams" },
        { id: "E", name: "E", type: "choice", items: [{ id: "e", name: "E" }] },
      ]),
    );
    const errors = Object.fromEntries(views.map((view) => [view.id, view.optionsError]));
    expect(errors.A).toBe(
      `GET ${target.url}/forbidden?key=***API_TOKEN*** answered 403, not a 2xx status`,
    );
    expect(errors.B).toBe('data_from "data" is not a list in the response (got an object)');
    expect(errors.C).toBe('data_from "nope" not found in the response');
    expect(errors.D).toContain("BASE_URL");
    expect(views[4]!.options).toEqual([{ value: "e", name: "E" }]);
    expect(JSON.stringify(views)).not.toContain(TOKEN);
  });

  it("honours the egress policy", async () => {
    const before = target.requestCount("GET", "/teams");
    const [view] = await formFieldViews(
      input([{ id: "A", name: "A", type: "choice", url: `${target.url}/teams` }], {
        checkAddress: egressCheck({ allowedHosts: ["api.example.com"] }),
      }),
    );
    expect(view!.optionsError).toContain("allowed hosts");
    expect(target.requestCount("GET", "/teams")).toBe(before);
  });
});

describe("mapChoices", () => {
  it("skips items without a scalar value and labels nameless items with their value", () => {
    const field: FormField = { id: "X", name: "X", type: "choice", url: "https://x" };
    expect(
      mapChoices([{ id: 1 }, { id: { nested: 1 } }, "text", { id: true, name: "T" }], field),
    ).toEqual([
      { value: "1", name: "1" },
      { value: "true", name: "T" },
    ]);
  });
});
