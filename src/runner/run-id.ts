// Run ids: random (version 4) UUIDs. Node's randomUUID() answers with its 36 characters as a tree
// of about twenty joined pieces, which a run keeps for its whole life (thousands may be waiting at
// once); splitting and joining it again to get one flat string cost more than making the id. Here
// the 36 characters are written into a buffer and read out as one string, from random bytes
// fetched 4 KiB at a time.
import { randomFillSync } from "node:crypto";

const HEX = Buffer.from("0123456789abcdef", "latin1");
const random = Buffer.alloc(4096);
let next = random.length;
const text = Buffer.alloc(36);

/** A new random UUID (version 4, RFC 9562), as one flat string. */
export function newRunId(): string {
  if (next === random.length) {
    randomFillSync(random);
    next = 0;
  }
  const at = next;
  next += 16;
  // Version 4, variant 10xx.
  random[at + 6] = (random[at + 6]! & 0x0f) | 0x40;
  random[at + 8] = (random[at + 8]! & 0x3f) | 0x80;
  let out = 0;
  for (let i = 0; i < 16; i += 1) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text[out++] = 0x2d; // -
    const byte = random[at + i]!;
    text[out++] = HEX[byte >> 4]!;
    text[out++] = HEX[byte & 0x0f]!;
  }
  // Used bytes are not left in the pool.
  random.fill(0, at, at + 16);
  return text.toString("latin1", 0, 36);
}
