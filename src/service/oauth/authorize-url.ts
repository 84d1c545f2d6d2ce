// The URL the admin is sent to for authorizing an integration: the manifest's
// `oauth.authenticate_url` rendered with the integration's secrets and `{{ redirect_url }}`, plus
// the `state` the callback checks.
import { hirewireError, isHirewireError, placeError } from "../../errors/index.ts";
import type { Manifest } from "../../manifest/types.ts";
import { createScope, renderTemplate } from "../../template/index.ts";

export interface AuthorizeUrlInput {
  manifest: Manifest;
  /** The integration's secrets (without the stored tokens). */
  secrets: Record<string, string>;
  redirectUrl: string;
  state: string;
}

/** Renders `oauth.authenticate_url` and adds `state`; throws HirewireError when it cannot. */
export function authorizeUrl(input: AuthorizeUrlInput): string {
  const template = input.manifest.oauth?.authenticate_url;
  if (template === undefined) {
    throw hirewireError(
      "INPUT_INVALID",
      "noAuthenticateUrl",
      {},
      { path: "oauth.authenticate_url" },
    );
  }
  let rendered: string;
  try {
    rendered = renderTemplate(
      template,
      createScope([input.secrets, { redirect_url: input.redirectUrl }]),
    );
  } catch (error) {
    if (!isHirewireError(error)) throw error;
    throw placeError(error, { path: "oauth.authenticate_url" });
  }
  let url: URL;
  try {
    url = new URL(rendered);
  } catch {
    url = new URL("invalid:");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw hirewireError("URL_INVALID", "authenticateUrl", {}, { path: "oauth.authenticate_url" });
  }
  if (url.searchParams.has("state")) {
    // The manifest brought its own state; ours must win or the callback is refused.
    url.searchParams.set("state", input.state);
    return url.toString();
  }
  // Appended by hand so the rest of the query keeps the exact encoding the admin wrote.
  const [base, fragment] = splitFragment(rendered);
  const separator = base.includes("?")
    ? base.endsWith("?") || base.endsWith("&")
      ? ""
      : "&"
    : "?";
  return `${base}${separator}state=${encodeURIComponent(input.state)}${fragment}`;
}

function splitFragment(url: string): [string, string] {
  const hash = url.indexOf("#");
  return hash === -1 ? [url, ""] : [url.slice(0, hash), url.slice(hash)];
}
