// Values for `initial_data_form` items named "generate": 16 characters [A-Za-z0-9] from a
// cryptographic source (ChiefOnboarding makes 10), made once per run and kept in its state.
import { randomInt } from "node:crypto";
import { NOTHING } from "../engine/machine.ts";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const GENERATED_LENGTH = 16;

function generateSecret(length = GENERATED_LENGTH): string {
  let text = "";
  for (let i = 0; i < length; i++) text += ALPHABET[randomInt(ALPHABET.length)];
  return text;
}

export function generateValues(ids: readonly string[]): Record<string, string> {
  if (ids.length === 0) return NOTHING;
  return Object.fromEntries(ids.map((id) => [id, generateSecret()]));
}
