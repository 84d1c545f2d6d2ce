// The shapes a secret takes on its way into a request or a response: as is, base64-encoded (as in
// a Basic credential or a token blob), URL-encoded (in a query string or a form body) and
// JSON-escaped (inside JSON text). The redactor masks every one of them (SPEC section 9).
// Pure: base64 goes through TextEncoder and btoa, not Buffer.

const encoder = new TextEncoder();

/** Standard base64 (with padding) of the UTF-8 bytes of `text`. */
export function base64Utf8(text: string): string {
  const bytes = encoder.encode(text);
  let binary = "";
  // Chunked so String.fromCharCode never receives more arguments than the engine allows.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** encodeURIComponent, or the raw value for text it refuses (a lone UTF-16 surrogate). */
function uriEncoded(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * Every distinct form of a secret value: raw; base64 standard and URL-safe, each with and
 * without padding; encodeURIComponent; form-style ('+' for spaces, both as encodeURIComponent
 * and as URLSearchParams write it); JSON-escaped (the text between the quotes of
 * JSON.stringify). The raw value comes first.
 */
export function secretForms(value: string): string[] {
  const base64 = base64Utf8(value);
  const unpadded = base64.replace(/=+$/, "");
  const urlSafe = base64.replace(/\+/g, "-").replace(/\//g, "_");
  const uriComponent = uriEncoded(value);
  const forms = [
    value,
    base64,
    unpadded,
    urlSafe,
    urlSafe.replace(/=+$/, ""),
    uriComponent,
    uriComponent.replace(/%20/g, "+"),
    new URLSearchParams([["", value]]).toString().slice(1),
    JSON.stringify(value).slice(1, -1),
  ];
  return [...new Set(forms)];
}
