// "Did you mean …?" for unknown manifest keys and undeclared template variables. A suggestion is
// only made when it is plausibly what the admin meant: the same key in other case or separators,
// a small typo (two swapped letters count as one), or a truncated key (`store` → `store_data`),
// since ChiefOnboarding would have ignored the typo silently.
import { distance } from "fastest-levenshtein";

const MIN_PREFIX = 3;

function normalize(key: string): string {
  return key.toLowerCase().replace(/[_\-\s]/g, "");
}

/** Edits from `a` to `b`, two swapped neighbours counting as one typo (`emial` → `email`). */
function typos(a: string, b: string): number {
  const edits = distance(a, b);
  if (edits !== 2 || a.length !== b.length) return edits;
  const differ = [...a].flatMap((char, index) => (char === b[index] ? [] : [index]));
  const [first, second] = differ;
  const swapped =
    differ.length === 2 &&
    second === first! + 1 &&
    a[first!] === b[second] &&
    a[second] === b[first!];
  return swapped ? 1 : edits;
}

/** The known key closest to `unknown`, or undefined when none is close enough to suggest. */
export function suggestKey(unknown: string, known: readonly string[]): string | undefined {
  const wanted = normalize(unknown);
  if (wanted === "") return undefined;
  // Typos allowed grow with the key: one in short keys, about one in three characters in long ones.
  const allowed = Math.max(1, Math.floor(wanted.length / 3));
  let best: { key: string; score: number } | undefined;
  for (const key of known) {
    const candidate = normalize(key);
    let score: number | undefined;
    const edits = typos(wanted, candidate);
    if (edits <= allowed) score = edits;
    else if (wanted.length >= MIN_PREFIX && candidate.startsWith(wanted)) {
      // Truncations rank after every real typo match.
      score = allowed + Math.abs(candidate.length - wanted.length);
    }
    if (score !== undefined && (best === undefined || score < best.score)) best = { key, score };
  }
  return best?.key;
}
