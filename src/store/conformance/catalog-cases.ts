// Conformance cases for the catalog: integrations, secrets, hires, stored fields, files,
// API tokens and settings.
import { describe, expect, it } from "vitest";
import { isHirewireError } from "../../errors/index.ts";
import { caught, seed, useStore, type StoreHarness } from "./harness.ts";

export function catalogCases(harness: StoreHarness): void {
  describe("integrations", () => {
    const t = useStore(harness);

    it("creates, reads, lists, updates and deletes", async () => {
      const store = t.store();
      const created = await store.createIntegration({ name: "Slack", manifest: { execute: [] } });
      expect(created.options).toEqual({ idempotencyKeys: false });
      expect(await store.getIntegration(created.id)).toEqual(created);
      await store.createIntegration({
        name: "Asana",
        manifest: {},
        options: { idempotencyKeys: true },
      });
      expect((await store.listIntegrations()).map((i) => i.name)).toEqual(["Asana", "Slack"]);

      const updated = await store.updateIntegration(created.id, {
        manifest: { execute: [{ url: "https://x.test" }] },
        options: { idempotencyKeys: true, allowedHosts: ["x.test"] },
      });
      expect(updated.name).toBe("Slack");
      expect(updated.manifest).toEqual({ execute: [{ url: "https://x.test" }] });
      expect(updated.options).toEqual({ idempotencyKeys: true, allowedHosts: ["x.test"] });
      expect(await store.getIntegration(created.id)).toEqual(updated);

      await store.deleteIntegration(created.id);
      expect(await store.getIntegration(created.id)).toBeUndefined();
    });

    it("answers CONFLICT for a taken name and NOT_FOUND for a missing integration", async () => {
      const store = t.store();
      const first = await store.createIntegration({ name: "Slack", manifest: {} });
      const other = await store.createIntegration({ name: "Asana", manifest: {} });
      expect(
        isHirewireError(
          await caught(() => store.createIntegration({ name: "Slack", manifest: {} })),
          "CONFLICT",
        ),
      ).toBe(true);
      expect(
        isHirewireError(
          await caught(() => store.updateIntegration(other.id, { name: "Slack" })),
          "CONFLICT",
        ),
      ).toBe(true);
      expect(
        isHirewireError(
          await caught(() => store.updateIntegration("int_missing", { name: "X" })),
          "NOT_FOUND",
        ),
      ).toBe(true);
      expect(
        isHirewireError(await caught(() => store.deleteIntegration("int_missing")), "NOT_FOUND"),
      ).toBe(true);
      expect((await store.getIntegration(first.id))?.name).toBe("Slack");
    });

    it("refuses to delete an integration while its runs are unfinished, and deletes its secrets with it otherwise", async () => {
      const store = t.store();
      const { integration } = await seed(store);
      await store.createRun({ integrationId: integration.id, block: "sync" });
      expect(
        isHirewireError(await caught(() => store.deleteIntegration(integration.id)), "CONFLICT"),
      ).toBe(true);

      const lonely = await store.createIntegration({ name: "Lonely", manifest: {} });
      await store.setSecret(lonely.id, "TOKEN", "t0ken");
      await store.deleteIntegration(lonely.id);
      expect(await store.getSecrets(lonely.id)).toEqual({});
    });
  });

  describe("integration secrets", () => {
    const t = useStore(harness);

    it("keeps plaintext values for the runner and only names for the API", async () => {
      const store = t.store();
      const { integration } = await seed(store);
      await store.setSecret(integration.id, "API_KEY", "k-1");
      await store.setSecret(integration.id, "ADMIN_PASSWORD", "p@ss ünïcode");
      await store.setSecret(integration.id, "API_KEY", "k-2");
      expect(await store.getSecrets(integration.id)).toEqual({
        API_KEY: "k-2",
        ADMIN_PASSWORD: "p@ss ünïcode",
      });
      const keys = await store.listSecretKeys(integration.id);
      expect(keys.map((k) => k.key)).toEqual(["ADMIN_PASSWORD", "API_KEY"]);
      expect(Object.keys(keys[0]!).sort()).toEqual(["key", "updatedAt"]);

      expect(await store.deleteSecret(integration.id, "API_KEY")).toBe(true);
      expect(await store.deleteSecret(integration.id, "API_KEY")).toBe(false);
      expect(await store.getSecrets(integration.id)).toEqual({ ADMIN_PASSWORD: "p@ss ünïcode" });
    });

    it("answers NOT_FOUND for a secret of a missing integration", async () => {
      const error = await caught(() => t.store().setSecret("int_missing", "K", "v"));
      expect(isHirewireError(error, "NOT_FOUND")).toBe(true);
    });
  });

  describe("hires and stored fields", () => {
    const t = useStore(harness);

    it("creates, finds by email (any case), updates and deletes hires", async () => {
      const store = t.store();
      const ada = await store.createHire({
        props: { email: "Ada@Example.test", first_name: "Ada" },
      });
      await store.createHire({ props: { email: "grace@example.test" } });
      expect(await store.getHire(ada.id)).toEqual(ada);
      expect((await store.findHireByEmail("ada@example.TEST"))?.id).toBe(ada.id);
      expect(await store.findHireByEmail("nobody@example.test")).toBeUndefined();

      const updated = await store.updateHire(ada.id, {
        email: "ada.l@example.test",
        first_name: "Ada",
        level: 3,
      });
      expect(updated.props).toEqual({ email: "ada.l@example.test", first_name: "Ada", level: 3 });
      expect(await store.findHireByEmail("Ada@Example.test")).toBeUndefined();
      expect((await store.findHireByEmail("ada.l@example.test"))?.id).toBe(ada.id);

      await store.deleteHire(ada.id);
      expect(await store.getHire(ada.id)).toBeUndefined();
      expect(isHirewireError(await caught(() => store.deleteHire(ada.id)), "NOT_FOUND")).toBe(true);
      expect(isHirewireError(await caught(() => store.updateHire(ada.id, {})), "NOT_FOUND")).toBe(
        true,
      );
    });

    it("lists hires newest first, by email, in pages", async () => {
      const store = t.store();
      const ids: string[] = [];
      for (let i = 0; i < 7; i++)
        ids.push((await store.createHire({ props: { email: `h${i}@x.test` } })).id);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await store.listHires({ limit: 3, cursor });
        expect(page.items.length).toBeLessThanOrEqual(3);
        seen.push(...page.items.map((h) => h.id));
        cursor = page.nextCursor;
      } while (cursor !== null);
      expect(seen).toEqual([...ids].reverse());

      const byEmail = await store.listHires({ email: "H3@x.test" });
      expect(byEmail.items.map((h) => h.id)).toEqual([ids[3]]);
      expect(byEmail.nextCursor).toBeNull();
      expect(
        isHirewireError(
          await caught(() => store.listHires({ cursor: "garbage" })),
          "INPUT_INVALID",
        ),
      ).toBe(true);
    });

    it("keeps stored fields with their JSON types, writer and time", async () => {
      const store = t.store();
      const { hire } = await seed(store);
      const values = {
        id: 42,
        active: true,
        none: null,
        tags: ["a", 1],
        nested: { x: "y" },
        text: "007",
      };
      for (const [name, value] of Object.entries(values))
        await store.setStoredField(hire.id, name, value);
      const fields = await store.getStoredFields(hire.id);
      expect(Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.value]))).toEqual(
        values,
      );
      expect(fields.id?.runId).toBeNull();
      expect(typeof fields.id?.updatedAt).toBe("number");

      await store.setStoredField(hire.id, "id", 43);
      expect((await store.getStoredFields(hire.id)).id?.value).toBe(43);
      expect(await store.deleteStoredField(hire.id, "id")).toBe(true);
      expect(await store.deleteStoredField(hire.id, "id")).toBe(false);
      expect((await store.getStoredFields(hire.id)).id).toBeUndefined();
    });

    it("keeps a sensitive field's value for runs only and shows its masked view", async () => {
      const store = t.store();
      const { hire } = await seed(store);
      const shown = await store.setStoredField(
        hire.id,
        "token",
        { auth: "Bearer s3cr3t-value" },
        { shown: { auth: "Bearer ***TOKEN***" } },
      );
      expect(shown).toMatchObject({ value: { auth: "Bearer ***TOKEN***" }, sensitive: true });
      await store.setStoredField(hire.id, "plain", "U1");
      const fields = await store.getStoredFields(hire.id);
      expect(fields.token).toMatchObject({
        value: { auth: "Bearer ***TOKEN***" },
        sensitive: true,
      });
      expect(fields.plain).toMatchObject({ value: "U1", sensitive: false });
      expect(await store.getStoredValues(hire.id)).toEqual({
        plain: { value: "U1", shown: "U1", sensitive: false, runId: null },
        token: {
          value: { auth: "Bearer s3cr3t-value" },
          shown: { auth: "Bearer ***TOKEN***" },
          sensitive: true,
          runId: null,
        },
      });
      // Written again without the mark, the field is an ordinary one.
      await store.setStoredField(hire.id, "token", "public");
      expect((await store.getStoredValues(hire.id)).token).toMatchObject({
        value: "public",
        sensitive: false,
      });
    });

    it("answers NOT_FOUND for a field of a missing hire and drops fields with their hire", async () => {
      const store = t.store();
      expect(
        isHirewireError(
          await caught(() => store.setStoredField("hire_missing", "x", 1)),
          "NOT_FOUND",
        ),
      ).toBe(true);
      const hire = await store.createHire({ props: {} });
      await store.setStoredField(hire.id, "x", 1);
      await store.deleteHire(hire.id);
      expect(await store.getStoredFields(hire.id)).toEqual({});
    });

    it("refuses to delete a hire that has runs", async () => {
      const store = t.store();
      const { integration, hire } = await seed(store);
      await store.createRun({ integrationId: integration.id, hireId: hire.id, block: "execute" });
      expect(isHirewireError(await caught(() => store.deleteHire(hire.id)), "CONFLICT")).toBe(true);
    });
  });

  describe("files, API tokens and settings", () => {
    const t = useStore(harness);

    it("records run files and finds the expired ones", async () => {
      const store = t.store();
      const { integration } = await seed(store);
      const { run } = await store.createRun({ integrationId: integration.id, block: "sync" });
      const file = (name: string) => ({
        name,
        ref: `files/${name}`,
        size: 12,
        contentType: "application/pdf",
      });
      const a = await store.addFile({ runId: run.id, file: file("a.pdf"), expiresAt: 1_000 });
      const b = await store.addFile({ runId: run.id, file: file("b.pdf"), expiresAt: 2_000 });
      const c = await store.addFile({ runId: run.id, file: file("c.pdf") });
      expect(a).toMatchObject({
        runId: run.id,
        name: "a.pdf",
        ref: "files/a.pdf",
        size: 12,
        contentType: "application/pdf",
      });
      expect((await store.listFiles(run.id)).map((f) => f.id)).toEqual([a.id, b.id, c.id]);
      expect((await store.expiredFiles(1_500)).map((f) => f.id)).toEqual([a.id]);
      expect((await store.expiredFiles(2_000)).map((f) => f.id)).toEqual([a.id, b.id]);
      expect(await store.deleteFile(a.id)).toBe(true);
      expect(await store.deleteFile(a.id)).toBe(false);
      expect((await store.expiredFiles(5_000)).map((f) => f.id)).toEqual([b.id]);
      expect(
        isHirewireError(
          await caught(() => store.addFile({ runId: "run_missing", file: file("x") })),
          "NOT_FOUND",
        ),
      ).toBe(true);
    });

    it("keeps API tokens by hash", async () => {
      const store = t.store();
      expect(await store.countApiTokens()).toBe(0);
      const token = await store.createApiToken({ name: "ci", tokenHash: "a".repeat(64) });
      await store.createApiToken({ name: "ops", tokenHash: "b".repeat(64) });
      expect(await store.countApiTokens()).toBe(2);
      expect(await store.findApiTokenByHash("a".repeat(64))).toEqual(token);
      expect(await store.findApiTokenByHash("c".repeat(64))).toBeUndefined();
      expect((await store.listApiTokens()).map((x) => x.name)).toEqual(["ci", "ops"]);
      const duplicate = await caught(() =>
        store.createApiToken({ name: "again", tokenHash: "a".repeat(64) }),
      );
      expect(isHirewireError(duplicate, "CONFLICT")).toBe(true);
      expect(await store.deleteApiToken(token.id)).toBe(true);
      expect(await store.deleteApiToken(token.id)).toBe(false);
      expect(await store.countApiTokens()).toBe(1);
    });

    it("keeps one env API token, replaced when it changes, and records last use", async () => {
      const store = t.store();
      const created = await store.createApiToken({ name: "ci", tokenHash: "c".repeat(64) });
      expect(created).toMatchObject({ source: "created", lastUsedAt: null });
      await store.replaceEnvApiToken("d".repeat(64), "env one");
      await store.replaceEnvApiToken("d".repeat(64), "env one");
      expect((await store.listApiTokens()).map((x) => `${x.name}:${x.source}`)).toEqual([
        "ci:created",
        "env one:env",
      ]);
      await store.replaceEnvApiToken("e".repeat(64), "env two");
      expect(await store.findApiTokenByHash("d".repeat(64))).toBeUndefined();
      expect((await store.findApiTokenByHash("e".repeat(64)))?.source).toBe("env");
      await store.replaceEnvApiToken(null, "unused");
      expect((await store.listApiTokens()).map((x) => x.name)).toEqual(["ci"]);
      await store.touchApiToken(created.id, 12_345);
      expect((await store.getApiToken(created.id))?.lastUsedAt).toBe(12_345);
      expect(await store.getApiToken("tok_missing")).toBeUndefined();
    });

    it("keeps settings as JSON values", async () => {
      const store = t.store();
      expect(await store.getSetting("first_start")).toBeUndefined();
      await store.setSetting("first_start", { done: true, at: 5 });
      expect(await store.getSetting("first_start")).toEqual({ done: true, at: 5 });
      await store.setSetting("first_start", false);
      expect(await store.getSetting("first_start")).toBe(false);
    });
  });
}
