// Variable lookup for templates: the sources of docs/manifest.md stacked in layers, later layers
// winning (hire props → stored fields → secrets → oauth → redirect_url → params → responses →
// fields stored by this run).
import { readPath, type Lookup } from "../json/notation.ts";

/** Resolves a variable path split into segments. */
export interface Scope {
  lookup(segments: readonly string[]): { found: true; value: unknown } | { found: false };
}

/**
 * A scope over layers of variables. The layer that has the path's FIRST segment wins outright:
 * if the rest of the path is missing there, earlier layers are not consulted, so a later
 * `responses` can never be half-merged with an earlier one. The rest of the path follows the
 * notation of docs/manifest.md (index on arrays, key on objects).
 */
export function createScope(layers: ReadonlyArray<Record<string, unknown>>): Scope {
  const frozen = [...layers];
  return {
    lookup(segments: readonly string[]): Lookup {
      const head = segments[0];
      if (head === undefined) return { found: false };
      for (let i = frozen.length - 1; i >= 0; i--) {
        const layer = frozen[i] as Record<string, unknown>;
        if (Object.prototype.hasOwnProperty.call(layer, head)) {
          return readPath(layer[head], segments, 1);
        }
      }
      return { found: false };
    },
  };
}
