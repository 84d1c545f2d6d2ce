import { describe, expect, it } from "vitest";
import { Redactor } from "./redactor.ts";
import { base64Utf8, secretForms } from "./secret-forms.ts";

const TOKEN = "tok/en+Secret é?&=x y"; // characters that every encoding treats differently

describe("secretForms", () => {
  it("computes base64 without Buffer, matching Node's encoder", () => {
    for (const text of ["abc", "tok/en+Secret é?&=x y", "😀 ünïcode", "a".repeat(70_000)]) {
      expect(base64Utf8(text)).toBe(Buffer.from(text, "utf8").toString("base64"));
    }
  });

  it("lists each distinct form once, raw first", () => {
    const forms = secretForms("plainsecret");
    expect(forms[0]).toBe("plainsecret");
    expect(new Set(forms).size).toBe(forms.length);
    expect(secretForms("a\ud800bcd")).toContain("a\ud800bcd");
  });
});

describe("Redactor.redactString", () => {
  const redactor = new Redactor([{ name: "TOKEN", value: TOKEN }]);
  const base64 = Buffer.from(TOKEN).toString("base64");
  const forms: Record<string, string> = {
    raw: TOKEN,
    base64,
    "base64 unpadded": base64.replace(/=+$/, ""),
    "base64 url-safe":
      Buffer.from(TOKEN).toString("base64url") +
      "=".repeat((4 - (base64.replace(/=+$/, "").length % 4)) % 4),
    "base64 url-safe unpadded": Buffer.from(TOKEN).toString("base64url"),
    encodeURIComponent: encodeURIComponent(TOKEN),
    "form with +": encodeURIComponent(TOKEN).replace(/%20/g, "+"),
    URLSearchParams: new URLSearchParams({ t: TOKEN }).toString().slice(2),
    "JSON-escaped": JSON.stringify(TOKEN).slice(1, -1),
  };

  it.each(Object.entries(forms))("masks the %s form", (_kind, form) => {
    expect(redactor.redactString(`before ${form} after`)).toBe("before ***TOKEN*** after");
  });

  it("masks JSON-escaped quotes, backslashes and newlines", () => {
    const tricky = new Redactor([{ name: "PW", value: 'pa"ss\\wo\nrd' }]);
    const json = JSON.stringify({ password: 'pa"ss\\wo\nrd' });
    expect(tricky.redactString(json)).toBe('{"password":"***PW***"}');
  });

  it("masks every occurrence and overlapping secrets whole, longest first", () => {
    const nested = new Redactor([
      { name: "SHORT", value: "abcd" },
      { name: "LONG", value: "abcdefgh" },
    ]);
    expect(nested.redactString("abcdefgh abcd abcdefgh")).toBe("***LONG*** ***SHORT*** ***LONG***");
  });

  it("leaves text without secrets alone and handles regex characters in values", () => {
    const special = new Redactor([{ name: "RE", value: "a.b*c(d)[e]$^|\\" }]);
    expect(special.redactString("aXb*c(d)[e]$^|\\")).toBe("aXb*c(d)[e]$^|\\");
    expect(special.redactString("=a.b*c(d)[e]$^|\\=")).toBe("=***RE***=");
  });

  it("masks values added later, e.g. a derived Basic credential", () => {
    const derived = new Redactor([{ name: "PASSWORD", value: "hunter22" }]);
    const credential = base64Utf8("root:hunter22");
    // Even before: the password's own base64 characters inside the credential are masked.
    expect(derived.redactString(`Basic ${credential}`)).toBe("Basic cm9vdDp***PASSWORD***g==");
    derived.add("BASIC_AUTH", credential);
    expect(derived.redactString(`Basic ${credential}`)).toBe("Basic ***BASIC_AUTH***");
    expect(derived.size).toBe(2);
  });
});

describe("Redactor short values", () => {
  it("refuses values shorter than 4 characters and lists their names", () => {
    const redactor = new Redactor([
      { name: "PIN", value: "123" },
      { name: "EMPTY", value: "" },
      { name: "EMOJI", value: "😀😀😀" },
      { name: "OK", value: "1234" },
    ]);
    expect(redactor.tooShort).toEqual(["PIN", "EMPTY", "EMOJI"]);
    expect(redactor.size).toBe(1);
    expect(redactor.redactString("123 and 1234")).toBe("123 and ***OK***");
  });
});

describe("Redactor.redact", () => {
  const redactor = new Redactor([
    { name: "TOKEN", value: "sk_live_42" },
    { name: "ORG_ID", value: "9876543" },
    { name: "RATE", value: "12.75" },
  ]);

  it("masks strings in nested structures without touching the original", () => {
    const record = {
      url: "https://api.test/?key=sk_live_42",
      headers: [["Authorization", "Bearer sk_live_42"]],
      body: { nested: { deeper: ["x", "sk_live_42!"] }, ok: true, none: null },
    };
    const copy = structuredClone(record);
    expect(redactor.redact(record)).toEqual({
      url: "https://api.test/?key=***TOKEN***",
      headers: [["Authorization", "Bearer ***TOKEN***"]],
      body: { nested: { deeper: ["x", "***TOKEN***!"] }, ok: true, none: null },
    });
    expect(record).toEqual(copy);
  });

  it("masks object keys", () => {
    expect(redactor.redact({ sk_live_42: 1, [`x-${"sk_live_42"}`]: "v" })).toEqual({
      "***TOKEN***": 1,
      "x-***TOKEN***": "v",
    });
  });

  it("masks numbers equal to a numeric secret, and only those", () => {
    expect(redactor.redact({ org: 9876543, rate: 12.75, other: 98765430, small: 7 })).toEqual({
      org: "***ORG_ID***",
      rate: "***RATE***",
      other: 98765430,
      small: 7,
    });
  });

  it("keeps parsed JSON valid and parseable after redaction", () => {
    const text = JSON.stringify({
      sk_live_42: { quote: 'he said "sk_live_42"', id: 9876543, list: ["sk_live_42\n"] },
    });
    const redacted = redactor.redact(JSON.parse(text) as unknown);
    const again = JSON.parse(JSON.stringify(redacted)) as unknown;
    expect(again).toEqual({
      "***TOKEN***": {
        quote: 'he said "***TOKEN***"',
        id: "***ORG_ID***",
        list: ["***TOKEN***\n"],
      },
    });
    expect(JSON.stringify(redacted)).not.toContain("sk_live_42");
  });

  it("keeps a __proto__ key as a plain key and leaves non-plain objects alone", () => {
    const parsed = JSON.parse('{"__proto__": "sk_live_42"}') as Record<string, unknown>;
    const redacted = redactor.redact(parsed);
    expect(Object.getPrototypeOf(redacted)).toBe(Object.prototype);
    expect(JSON.stringify(redacted)).toBe('{"__proto__":"***TOKEN***"}');
    const bytes = new Uint8Array([1, 2, 3]);
    expect(redactor.redact({ bytes }).bytes).toBe(bytes);
  });

  it("copies only what it masks: parts with nothing to mask are returned as they are", () => {
    const clean = { status: 200, headers: { "content-type": "application/json" }, list: [1, "x"] };
    expect(redactor.redact(clean)).toBe(clean);
    const record = {
      request: { url: "https://api.test/", headers: { Authorization: "Bearer sk_live_42" } },
      response: clean,
      ids: ["a", "b", 9876543, "c"],
    };
    const copy = structuredClone(record);
    const redacted = redactor.redact(record);
    expect(redacted).toEqual({
      request: { url: "https://api.test/", headers: { Authorization: "Bearer ***TOKEN***" } },
      response: clean,
      ids: ["a", "b", "***ORG_ID***", "c"],
    });
    expect(redacted.response).toBe(clean);
    expect(redacted.request).not.toBe(record.request);
    expect(record).toEqual(copy);
  });

  it("keeps redactors with the same secrets independent when one learns another", () => {
    const first = new Redactor([{ name: "TOKEN", value: "sk_live_42" }]);
    const second = new Redactor([{ name: "TOKEN", value: "sk_live_42" }]);
    expect(first.redactString("sk_live_42 derived-99")).toBe("***TOKEN*** derived-99");
    expect(second.redactString("sk_live_42 derived-99")).toBe("***TOKEN*** derived-99");
    second.add("DERIVED", "derived-99");
    expect(second.redactString("sk_live_42 derived-99")).toBe("***TOKEN*** ***DERIVED***");
    expect(first.redactString("sk_live_42 derived-99")).toBe("***TOKEN*** derived-99");
  });

  it("returns the value itself when there are no secrets", () => {
    const empty = new Redactor();
    const record = { a: "sk_live_42" };
    expect(empty.redact(record)).toBe(record);
    expect(empty.redactString("sk_live_42")).toBe("sk_live_42");
    expect(empty.size).toBe(0);
  });
});
