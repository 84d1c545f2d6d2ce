// The plain records exchanged between the pure engine and the HTTP sender: a fully rendered
// request (no templates, no manifest) and the outcome of one attempt. Types only, no I/O.
import type { ErrorInfo } from "../errors/index.ts";
import type { HttpMethod, JsonValue } from "../manifest/types.ts";

/** A file kept with a run: saved by `save_as_file`, sent by `files`. `ref` is opaque to the engine. */
export interface FileRef {
  /** The name the manifest gave (`contract.pdf`). */
  name: string;
  /** Where the FileStore keeps it. */
  ref: string;
  size: number;
  contentType: string;
}

/** No body: one shared value, never written to. */
export const NO_BODY: { readonly kind: "none" } = Object.freeze({ kind: "none" });

export type RequestBody =
  | { readonly kind: "none" }
  /** Sent verbatim; the Content-Type (if any) is already among the headers. */
  | { kind: "text"; text: string }
  /** multipart/form-data; the sender sets the boundary and Content-Type. */
  | {
      kind: "multipart";
      fields: Array<{ name: string; value: string }>;
      files: Array<{ field: string; file: FileRef }>;
    };

/** A request ready to send: every template rendered, auth encoded, body encoded. */
export interface RequestSpec {
  method: HttpMethod;
  url: string;
  /** Final headers in order; names as the manifest wrote them. */
  headers: Array<[string, string]>;
  body: RequestBody;
  timeoutMs: number;
  maxRedirects: number;
  /** When set, the response body is streamed into a run file of this name instead of memory. */
  saveAs?: string;
  /** Request signing the sender adds at send time (it needs a clock and a nonce); never recorded. */
  sign?: { scheme: "pritunl"; token: string; secret: string };
}

export interface RedirectHop {
  status: number;
  method: HttpMethod;
  url: string;
  location: string;
}

export interface ResponseRecord {
  status: number;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Body text for in-memory bodies (absent when saved as a file). */
  text?: string;
  /** Parsed body when the text is valid JSON. */
  json?: JsonValue;
  /** Set when the body was saved as a run file. */
  file?: FileRef;
  /** The URL that answered (after redirects). */
  url: string;
}

/** What one attempt came to. The sender never throws: every failure is an `error` outcome. */
export type AttemptOutcome =
  | {
      type: "response";
      response: ResponseRecord;
      durationMs: number;
      redirects: RedirectHop[];
    }
  | {
      type: "error";
      /** HTTP_CONNECTION, HTTP_TIMEOUT, HTTP_BODY_TOO_LARGE, HTTP_TOO_MANY_REDIRECTS, HTTP_EGRESS_DENIED, FILE_NOT_SAVED, … */
      error: ErrorInfo;
      durationMs: number;
      redirects: RedirectHop[];
      /** The response, when one arrived before the failure (e.g. a body over the cap). */
      response?: ResponseRecord;
    };
