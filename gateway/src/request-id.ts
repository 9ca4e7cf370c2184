// Request ids (X-Request-Id, usage records, receipts): 128 random bits as 32 lowercase hex characters.
// They are drawn from a pool of random bytes refilled 4 KiB (256 ids) at a time, so an id costs one
// short string and, most of the time, no call into the system's random source. (crypto.randomUUID, the
// former default, builds its string from some twenty concatenations: measurable garbage per request.)
import { randomFillSync } from "node:crypto";

const POOL = Buffer.alloc(4096);
let next = POOL.length;

export function randomRequestId(): string {
  if (next + 16 > POOL.length) {
    randomFillSync(POOL);
    next = 0;
  }
  const id = POOL.toString("hex", next, next + 16);
  next += 16;
  return id;
}
