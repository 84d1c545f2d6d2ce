import { describe, expect, it } from "vitest";
import { urlEncode } from "../template/text-filters.ts";
import { Redactor } from "./redactor.ts";
import { asciiJson } from "./secret-forms.ts";

// The ways a target echoes a value back that the earlier, literal list of forms missed.
const SLASHY = "q8Yt/3kLm+Zp9wX2vR7s==";
const HOSTILE = `pa ss'wo"rd\\ä/+=%&<>`;

function masked(secret: string, text: string): string {
  return new Redactor([{ name: "S", value: secret }]).redactString(text);
}

describe("echoed encodings", () => {
  it("masks the urlencode filter's output (Python quote keeps '/')", () => {
    const form = urlEncode(SLASHY);
    expect(form).toBe("q8Yt/3kLm%2BZp9wX2vR7s%3D%3D");
    expect(masked(SLASHY, `?k=${form}&x=1`)).toBe("?k=***S***&x=1");
  });

  it("masks the WHATWG URL path and query encodings of a secret", () => {
    const path = new URL(`http://h/${HOSTILE.replace(/[#?]/g, "")}`).pathname.slice(1);
    const query = new URL(`http://h/?k=${HOSTILE.replace(/[#&]/g, "")}`).search.slice(3);
    expect(masked(HOSTILE.replace(/[#?]/g, ""), `GET /${path} HTTP/1.1`)).toBe(
      "GET /***S*** HTTP/1.1",
    );
    expect(masked(HOSTILE.replace(/[#&]/g, ""), `url: /?k=${query}`)).toBe("url: /?k=***S***");
  });

  it("masks lower-case percent hex and percent-encoding applied twice", () => {
    const lower = encodeURIComponent(HOSTILE).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
    expect(masked(HOSTILE, `[${lower}]`)).toBe("[***S***]");
    expect(masked(HOSTILE, `[${encodeURIComponent(encodeURIComponent(HOSTILE))}]`)).toBe(
      "[***S***]",
    );
  });

  it("masks a JSON-escaped secret sent again in a form and echoed percent-encoded", () => {
    const json = JSON.stringify(HOSTILE).slice(1, -1);
    const form = new URLSearchParams([["", json]]).toString().slice(1);
    expect(masked(HOSTILE, `[${encodeURIComponent(form)}]`)).toBe("[***S***]");
    expect(masked(HOSTILE, `[${encodeURIComponent(encodeURIComponent(json))}]`)).toBe("[***S***]");
  });

  it.each([0, 1, 2])(
    "masks a secret inside the base64 of a longer text (a JWT payload, an echoed blob), prefix %i",
    (pad) => {
      const secret = "tok_9Zq/+ä secret";
      for (const inner of [secret, encodeURIComponent(secret), JSON.stringify(secret)]) {
        const blob = Buffer.from(`${"x".repeat(pad)}{"sub":"u1","token":${inner},"n":1}`);
        for (const text of [blob.toString("base64"), blob.toString("base64url")]) {
          const result = masked(secret, text);
          expect(result).toContain("***S***");
          expect(Buffer.from(result.split("***S***")[1]!, "base64").toString()).not.toContain(
            "tok",
          );
        }
      }
    },
  );

  it("masks ASCII-only JSON escapes in lower and upper hex", () => {
    const secret = "Grüße-äöü-token";
    const lower = asciiJson(secret);
    expect(lower).toBe("Gr\\u00fc\\u00dfe-\\u00e4\\u00f6\\u00fc-token");
    const upper = lower.replace(
      /\\u([0-9a-f]{4})/g,
      (_m, hex: string) => `\\u${hex.toUpperCase()}`,
    );
    expect(masked(secret, `{"t":"${lower}"}`)).toBe('{"t":"***S***"}');
    expect(masked(secret, `{"t":"${upper}"}`)).toBe('{"t":"***S***"}');
  });

  it("masks a secret with quotes and backslashes JSON-escaped twice", () => {
    const inner = JSON.stringify({ password: HOSTILE });
    const twice = JSON.stringify({ echoed: inner });
    expect(twice).not.toContain(JSON.stringify(HOSTILE).slice(1, -1));
    expect(masked(HOSTILE, twice)).toBe(JSON.stringify({ echoed: '{"password":"***S***"}' }));
  });

  it("masks JSON with escaped slashes (PHP) and HTML entities of every common style", () => {
    expect(masked(SLASHY, `{"t":"${SLASHY.replace(/\//g, "\\/")}"}`)).toBe('{"t":"***S***"}');
    const secret = `it's "x" & <y>`;
    const styles = [
      "it&#x27;s &quot;x&quot; &amp; &lt;y&gt;",
      "it&#39;s &#34;x&#34; &#38; &#60;y&#62;",
      "it&apos;s &quot;x&quot; &amp; &lt;y&gt;",
      "it&#039;s &quot;x&quot; &amp; &lt;y&gt;",
    ];
    for (const style of styles) expect(masked(secret, `<p>${style}</p>`)).toBe("<p>***S***</p>");
  });

  it("masks base64 whose + / = were percent-encoded in a URL", () => {
    const secret = "ada:s3cr?t>>~";
    const base64 = btoa(secret);
    expect(base64).toBe("YWRhOnMzY3I/dD4+fg==");
    expect(masked(secret, `?auth=${encodeURIComponent(base64)}`)).toBe("?auth=***S***");
  });
});

describe("Redactor.redactClipped", () => {
  const secret = SLASHY;
  const redactor = new Redactor([{ name: "S", value: secret }]);

  it("masks before cutting, so a secret across the limit is never left in part", () => {
    const text = `${"f".repeat(65_526)}${secret}`;
    expect(redactor.redactClipped(text, 65_536)).toEqual({
      text: `${"f".repeat(65_526)}***S***`,
      omitted: 0,
    });
    // No room for the whole mask: the cut comes before it, not through the secret.
    const tight = `${"f".repeat(65_532)}${secret}`;
    const { text: kept, omitted } = redactor.redactClipped(tight, 65_536);
    expect(kept).toBe("f".repeat(65_532));
    expect(omitted).toBe(secret.length);
  });

  it("keeps a whole mask that fits and counts what it left out", () => {
    const text = `ab ${secret} cd ${"x".repeat(100)}`;
    const clipped = redactor.redactClipped(text, 20);
    expect(clipped.text).toBe("ab ***S*** cd xxxxxx");
    expect(clipped.omitted).toBe(text.length - (3 + secret.length + 10));
    expect(redactor.redactClipped("short", 20)).toEqual({ text: "short", omitted: 0 });
  });

  it("answers holdsSecret for any form", () => {
    expect(redactor.holdsSecret(`x-api-key: ${encodeURIComponent(secret)}`)).toBe(true);
    expect(redactor.holdsSecret("nothing here")).toBe(false);
  });
});
