import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SecretCipher } from "../../secrets/index.ts";
import { openSqliteStore } from "../../store/sqlite/index.ts";
import type { Store } from "../../store/store.ts";
import { consumeState, issueState, STATE_TTL_MS } from "./oauth-state.ts";

let dir: string;
let store: Store;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "hirewire-oauth-state-"));
  store = await openSqliteStore({
    file: join(dir, "hirewire.sqlite"),
    cipher: new SecretCipher(randomBytes(32)),
  });
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe("OAuth state", () => {
  it("is accepted once, for its own integration", async () => {
    const state = await issueState(store, "int_a", 1_000);
    expect(state).toMatch(/^[\w-]{43}$/);
    expect(await consumeState(store, "int_b", state, 2_000)).toBe("missing");
    expect(await consumeState(store, "int_a", state, 2_000)).toBe("ok");
    expect(await consumeState(store, "int_a", state, 2_000)).toBe("missing");
  });

  it("keeps only a hash of the state", async () => {
    const state = await issueState(store, "int_a", 1_000);
    const kept = JSON.stringify(await store.getSetting("oauth_state:int_a"));
    expect(kept).not.toContain(state);
  });

  it("a wrong state leaves the pending one usable; a new one replaces it", async () => {
    const first = await issueState(store, "int_a", 1_000);
    expect(await consumeState(store, "int_a", "forged", 1_500)).toBe("mismatch");
    const second = await issueState(store, "int_a", 2_000);
    expect(await consumeState(store, "int_a", first, 2_500)).toBe("mismatch");
    expect(await consumeState(store, "int_a", second, 2_500)).toBe("ok");
  });

  it("expires after the TTL", async () => {
    const state = await issueState(store, "int_a", 1_000);
    expect(await consumeState(store, "int_a", state, 1_001 + STATE_TTL_MS)).toBe("expired");
    expect(await consumeState(store, "int_a", state, 1_002 + STATE_TTL_MS)).toBe("missing");
  });
});
