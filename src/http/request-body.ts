// Turns a RequestBody into what undici sends. Multipart files come from the FileStore as
// storage-backed Blobs, so a large file streams from storage instead of being read into memory.
import type { FormData } from "undici";
import type { RequestBody } from "../exchange/types.ts";
import type { FileStore } from "../files/index.ts";
import { formDataClass } from "./undici-parts.ts";

/** What undici's `body` option receives. */
export type WireBody = string | FormData | undefined;

/** Builds the body for one hop; a multipart body is rebuilt per hop because a stream sends once. */
export async function buildWireBody(body: RequestBody, files: FileStore): Promise<WireBody> {
  switch (body.kind) {
    case "none":
      return undefined;
    case "text":
      return body.text;
    case "multipart": {
      const FormDataClass = formDataClass();
      const form = new FormDataClass();
      for (const field of body.fields) form.append(field.name, field.value);
      for (const { field, file } of body.files) {
        form.append(field, named(await files.openBlob(file), file.name));
      }
      return form;
    }
  }
}

/**
 * The blob as a File named `name`. One that already is keeps its identity: appended without a
 * file name, FormData stores a File as it is, and undici's encoder then reads it through `size` and
 * `stream()` only, which is how a database-backed file (PostgreSQL run files) streams. Appending with
 * a name instead would copy it into a new native File from its native bytes.
 */
function named(blob: Blob, name: string): File {
  if (blob instanceof File && blob.name === name) return blob;
  return new File([blob], name, { type: blob.type });
}

/**
 * The headers to send with `body`: for multipart, undici writes Content-Type with its boundary and
 * the length, so a user-given Content-Type or Content-Length would corrupt the request.
 */
export function headersForBody(headers: Array<[string, string]>, body: RequestBody): string[] {
  const flat: string[] = [];
  for (const [name, value] of headers) {
    if (body.kind === "multipart") {
      const lower = name.toLowerCase();
      if (lower === "content-type" || lower === "content-length") continue;
    }
    flat.push(name, value);
  }
  return flat;
}
