// Downloading a run file through the API: the name a manifest (and so a hire's props) chose must
// never steer where a browser or `curl -J` writes the file. The service keeps the files in the
// folder HIREWIRE_FILES_DIR names.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInProcessService, type InProcessService } from "../support/in-process-service.ts";
import { startTargetServer, type TargetServer } from "../support/target-server.ts";

let target: TargetServer;
let svc: InProcessService;
let filesDir: string;

beforeAll(async () => {
  target = await startTargetServer();
  target.route("GET", "/doc", (_req, res) => {
    res.writeHead(200, { "content-type": "application/pdf" });
    res.end("%PDF-1.4 test");
  });
  filesDir = await mkdtemp(join(tmpdir(), "hirewire-files-dir-"));
  svc = await startInProcessService({ HIREWIRE_SANDBOX: "off", HIREWIRE_FILES_DIR: filesDir });
});
afterAll(async () => {
  await svc.close();
  await target.close();
  await rm(filesDir, { recursive: true, force: true });
});

let lastRunId = "";

async function savedFile(saveAs: string): Promise<Response> {
  const integration = await svc.api("POST", "/api/integrations", {
    name: `files ${Math.random()}`,
    manifest: {
      execute: [{ url: `${target.url}/doc`, method: "GET", save_as_file: "{{ file_name }}" }],
    },
  });
  expect(integration.status, integration.text).toBe(201);
  const hire = await svc.api("POST", "/api/hires", {
    email: `f${Math.random()}@example.com`,
    file_name: saveAs,
  });
  expect(hire.status, hire.text).toBe(201);
  const triggered = await svc.api("POST", "/api/runs", {
    integration_id: integration.body.id,
    hire_id: hire.body.hire?.id ?? hire.body.id,
  });
  expect(triggered.status, triggered.text).toBe(202);
  const run = await svc.finished(triggered.body.id);
  expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
  lastRunId = run.id;
  const files = await svc.api("GET", `/api/runs/${run.id}/files`);
  expect(files.body.items).toHaveLength(1);
  return fetch(`${svc.service.url}${files.body.items[0].download_url}`, {
    headers: { authorization: "Bearer hw_in_process_admin_token_42" },
  });
}

describe("run file downloads", () => {
  it("name only the base name of a path a hire chose", async () => {
    const response = await savedFile("../../../../tmp/x");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("%PDF-1.4 test");
    const disposition = response.headers.get("content-disposition")!;
    expect(disposition).toBe(`attachment; filename="x"; filename*=UTF-8''x`);
    expect(disposition).not.toContain("/");
  });

  it("strip Windows separators and keep non-ASCII names in filename*", async () => {
    const response = await savedFile("..\\..\\Vertrag für Zoë (1).pdf");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toBe(
      `attachment; filename="Vertrag f_r Zo_ (1).pdf"; filename*=UTF-8''Vertrag%20f%C3%BCr%20Zo%C3%AB%20%281%29.pdf`,
    );
  });

  it("are kept in the folder HIREWIRE_FILES_DIR names", async () => {
    const response = await savedFile("offer.pdf");
    expect(response.status).toBe(200);
    expect(await readdir(join(filesDir, lastRunId))).toEqual(["offer.pdf"]);
  });
});
