import { describe, expect, it } from "vitest";
import { toErrorInfo } from "../errors/index.ts";
import type { JsonValue, Step } from "../manifest/types.ts";
import { createScope } from "../template/index.ts";
import { buildRequest, type BuildOptions } from "./request.ts";

/** A step as a prepared manifest holds it: frozen all the way down, so its plan is kept. */
function frozen<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const item of Object.values(value)) frozen(item);
    Object.freeze(value);
  }
  return value;
}

const OPTIONS: BuildOptions = {
  stepPath: "execute[0]",
  stepIndex: 0,
  manifestHeaders: undefined,
  files: {},
  defaultTimeoutMs: 1000,
  maxRedirects: 0,
};

function build(step: Step, vars: Record<string, JsonValue>, options: Partial<BuildOptions> = {}) {
  return buildRequest(step, createScope([vars]), { ...OPTIONS, ...options }).request;
}

function failure(run: () => unknown) {
  try {
    run();
  } catch (error) {
    return toErrorInfo(error);
  }
  throw new Error("expected an error");
}

describe("a step's request plan", () => {
  const step = frozen<Step>({
    url: "{{ BASE }}/users/{{ id }}",
    method: "POST",
    headers: { Authorization: "Bearer {{ TOKEN }}", Accept: "application/json" },
    data: {
      user: { name: "{{ name }}", tags: ["a", "{{ tag }}"] },
      fixed: { plan: "pro", seats: 3, nested: [1, { deep: true }] },
      ["__proto__"]: "kept as a key",
    },
  });

  it("renders each build from its own variables: the plan keeps templates, never values", () => {
    const first = build(step, {
      BASE: "https://a.test",
      id: 1,
      TOKEN: "t1",
      name: "Ada",
      tag: "x",
    });
    const second = build(step, {
      BASE: "https://b.test",
      id: 2,
      TOKEN: "t2",
      name: "Bo",
      tag: "y",
    });
    expect(first.url).toBe("https://a.test/users/1");
    expect(second.url).toBe("https://b.test/users/2");
    expect(first.headers).toEqual([
      ["Authorization", "Bearer t1"],
      ["Accept", "application/json"],
      ["Content-Type", "application/json"],
    ]);
    expect(second.headers[0]).toEqual(["Authorization", "Bearer t2"]);
    const body = (request: typeof first) => (request.body.kind === "text" ? request.body.text : "");
    // The same JSON as rendering the whole data object, literal parts and a "__proto__" key included.
    const expected = (name: string, tag: string) =>
      `{"user":{"name":"${name}","tags":["a","${tag}"]},"fixed":{"plan":"pro","seats":3,"nested":[1,{"deep":true}]},"__proto__":"kept as a key"}`;
    expect(body(first)).toBe(expected("Ada", "x"));
    expect(body(second)).toBe(expected("Bo", "y"));
  });

  it("inserts values as strings, so a quote or {{ in a value neither breaks the JSON nor renders", () => {
    const request = build(step, {
      BASE: "https://a.test",
      id: 1,
      TOKEN: "t",
      name: 'say "{{ TOKEN }}"',
      tag: "x",
    });
    const body = request.body.kind === "text" ? JSON.parse(request.body.text) : undefined;
    expect(body.user.name).toBe('say "{{ TOKEN }}"');
  });

  it("merges headers that differ only in case, the later one winning, as before", () => {
    const twice = frozen<Step>({
      url: "https://a.test/x",
      method: "GET",
      headers: { "x-key": "one", "X-Key": "two", "{{ name }}": "three" },
    });
    expect(build(twice, { name: "X-KEY" }).headers).toEqual([["X-KEY", "three"]]);
    expect(build(twice, { name: "Other" }).headers).toEqual([
      ["X-Key", "two"],
      ["Other", "three"],
    ]);
  });

  it("names where a template failed: the step for the URL and headers, the data path inside data", () => {
    const url = failure(() =>
      build(step, { BASE: "not a url", id: 1, TOKEN: "t", name: "n", tag: "t" }),
    );
    expect(url).toMatchObject({ code: "URL_INVALID", path: "execute[0].url", step: 0 });
    const header = failure(() =>
      build(step, { BASE: "https://a.test", id: 1, name: "n", tag: "t" }),
    );
    expect(header).toMatchObject({
      code: "TEMPLATE_UNDEFINED_VARIABLE",
      path: "execute[0].headers.Authorization",
      step: 0,
    });
    const data = failure(() =>
      build(step, { BASE: "https://a.test", id: 1, TOKEN: "t", name: "n" }),
    );
    expect(data).toMatchObject({
      code: "TEMPLATE_UNDEFINED_VARIABLE",
      path: "execute[0].data.user.tags[1]",
    });
    expect(data.step).toBeUndefined();
  });

  it("gives a dry-run's placeholders the path of each template, and judges no URL holding one", () => {
    const seen: string[] = [];
    const request = build(
      step,
      { TOKEN: "t", tag: "x" },
      {
        missing: (expr, path) => {
          seen.push(`${expr.path} @ ${path}`);
          return `<${expr.path}>`;
        },
      },
    );
    expect(request.url).toBe("<BASE>/users/<id>");
    expect(seen).toEqual([
      "BASE @ execute[0].url",
      "id @ execute[0].url",
      "name @ execute[0].data.user.name",
    ]);
  });

  it("fails a template that does not parse when it is rendered, naming its path", () => {
    const broken = frozen<Step>({ url: "https://a.test/{{ id|nosuchfilter }}", method: "GET" });
    for (let i = 0; i < 2; i++)
      expect(failure(() => build(broken, { id: 1 }))).toMatchObject({
        code: "TEMPLATE_SYNTAX",
        path: "execute[0].url",
        step: 0,
      });
  });

  it("plans a step again when it is rendered under another path", () => {
    const plain = frozen<Step>({ url: "{{ BASE }}", method: "GET" });
    expect(failure(() => build(plain, { BASE: "nope" }))).toMatchObject({ path: "execute[0].url" });
    expect(failure(() => build(plain, { BASE: "nope" }, { stepPath: "revoke[2]" }))).toMatchObject({
      path: "revoke[2].url",
    });
  });
});
