// Judging, naming and restoring stored fields that hold a secret, with a real Redactor.
import { describe, expect, it } from "vitest";
import { createRunState } from "../engine/machine.ts";
import { Redactor } from "../redact/index.ts";
import {
  restoreStored,
  secretFieldView,
  sensitiveViews,
  storedInputs,
  storedSecretEntries,
  unmaskHeldStored,
} from "./stored-secrets.ts";

const TOKEN = "tok_0123456789abcdef";

describe("sensitiveViews", () => {
  it("returns the masked view of the fields holding a secret, in any form, and nothing else", () => {
    const redactor = new Redactor([{ name: "TOKEN", value: TOKEN }]);
    const views = sensitiveViews(
      {
        id: 7,
        name: "Ada",
        auth: `Bearer ${TOKEN}`,
        basic: Buffer.from(TOKEN).toString("base64"),
        nested: { list: ["x", { key: TOKEN }] },
      },
      redactor,
    );
    expect(views).toEqual({
      auth: "Bearer ***TOKEN***",
      basic: "***TOKEN***",
      nested: { list: ["x", { key: "***TOKEN***" }] },
    });
  });
});

describe("storedSecretEntries", () => {
  it("names the secret in each masked hole, or the whole value when all of it is masked", () => {
    expect(storedSecretEntries("AUTH", `Bearer ${TOKEN}`, "Bearer ***TOKEN***")).toEqual([
      { name: "stored.AUTH", value: TOKEN },
    ]);
    expect(storedSecretEntries("KEY", "s3cret-value", secretFieldView("KEY"))).toEqual([
      { name: "stored.KEY", value: "s3cret-value" },
    ]);
    expect(
      storedSecretEntries(
        "OBJ",
        { plain: "x", deep: [1, `id=${TOKEN}`], pin: 123456 },
        { plain: "x", deep: [1, "id=***TOKEN***"], pin: "***PIN***" },
      ),
    ).toEqual([
      { name: "stored.OBJ", value: TOKEN },
      { name: "stored.OBJ", value: "123456" },
    ]);
    // A whole object masked at once: every string and number in it is a secret.
    expect(storedSecretEntries("ALL", { a: "first-secret", b: 98765 }, "***stored.ALL***")).toEqual(
      [
        { name: "stored.ALL", value: "first-secret" },
        { name: "stored.ALL", value: "98765" },
      ],
    );
  });

  it("masks the whole string when the view's holes do not line up with the value", () => {
    expect(storedSecretEntries("X", "ab-cd-efgh", "***A***-***B***")).toEqual([
      { name: "stored.X", value: "ab-cd-efgh" },
    ]);
  });
});

describe("storedInputs", () => {
  it("gives runs the real values and masks the secrets among them", () => {
    const { stored, storedSecrets } = storedInputs({
      USER: { value: "u_1", shown: "u_1", sensitive: false, runId: null },
      AUTH: {
        value: `Bearer ${TOKEN}`,
        shown: "Bearer ***TOKEN***",
        sensitive: true,
        runId: "run_1",
      },
    });
    expect(stored).toEqual({ USER: "u_1", AUTH: `Bearer ${TOKEN}` });
    const redactor = new Redactor(storedSecrets);
    expect(redactor.redactString(`sent ${TOKEN} and u_1`)).toBe("sent ***stored.AUTH*** and u_1");
  });
});

describe("restoreStored", () => {
  it("puts back the real value of the sensitive fields this run stored, only those", () => {
    const state = {
      ...createRunState("run_1"),
      stored: { AUTH: "Bearer ***TOKEN***", OTHER: "***X***", USER: "u_1" },
    };
    const restored = restoreStored(
      state,
      {
        AUTH: {
          value: `Bearer ${TOKEN}`,
          shown: "Bearer ***TOKEN***",
          sensitive: true,
          runId: "run_1",
        },
        OTHER: { value: "other-secret", shown: "***X***", sensitive: true, runId: "run_2" },
        USER: { value: "u_1", shown: "u_1", sensitive: false, runId: "run_1" },
      },
      "run_1",
    );
    expect(restored.stored).toEqual({ AUTH: `Bearer ${TOKEN}`, OTHER: "***X***", USER: "u_1" });
    expect(state.stored.AUTH).toBe("Bearer ***TOKEN***");
  });
});

describe("unmaskHeldStored", () => {
  it("takes masked fields from what is given again, and leaves out the others", () => {
    const state = {
      ...createRunState("run_1"),
      stored: { AUTH: "Bearer ***TOKEN***", GONE: "***PASSWORD***", USER: "u_1" },
    };
    const held = unmaskHeldStored(state, { AUTH: `Bearer ${TOKEN}` });
    expect(held.state.stored).toEqual({ AUTH: `Bearer ${TOKEN}`, USER: "u_1" });
    expect(held.missing).toEqual({ GONE: "***PASSWORD***" });
    expect(held.storedSecrets).toEqual([{ name: "stored.AUTH", value: TOKEN }]);
  });
});
