// A small seeded PRNG (sfc32) for the randomised program tests: the same seed replays the same cases,
// and every randomised test prints its seed when it fails so the failure can be reproduced with
// `PROGRAM_TEST_SEED=<seed>`.

/** The seed of the randomised tests: `PROGRAM_TEST_SEED` (decimal or 0x-hex), or `fallback`. */
export function testSeed(fallback: number): number {
  const raw = process.env.PROGRAM_TEST_SEED;
  if (raw === undefined || raw === "") return fallback >>> 0;
  const seed = raw === "random" ? Math.floor(Math.random() * 2 ** 32) : Number(raw);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new RangeError(`PROGRAM_TEST_SEED must be a u32, got ${raw}`);
  return seed;
}

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  readonly seed: number;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = this.seed;
    // Warm up so that nearby seeds diverge.
    for (let i = 0; i < 16; i++) this.next32();
  }

  /** A uniform unsigned 32-bit integer. */
  next32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** A uniform integer in [0, n) for 0 < n ≤ 2^32. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 2 ** 32) throw new RangeError(`int(${n})`);
    return Math.floor((this.next32() / 2 ** 32) * n);
  }

  /** A uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next32() / 2 ** 32 < p;
  }

  /** A uniform bigint in [0, max] for max < 2^64 (rejection sampling on 64 random bits). */
  below(max: bigint): bigint {
    if (max < 0n || max >= 1n << 64n) throw new RangeError(`below(${max})`);
    if (max === 0n) return 0n;
    let bits = 0n;
    while (1n << bits <= max) bits++;
    const mask = (1n << bits) - 1n;
    for (;;) {
      const v = ((BigInt(this.next32()) << 32n) | BigInt(this.next32())) & mask;
      if (v <= max) return v;
    }
  }

  /** A bigint in [lo, hi]. */
  bigRange(lo: bigint, hi: bigint): bigint {
    return lo + this.below(hi - lo);
  }

  /** A bigint whose magnitude is spread over every power of two up to 2^maxBits (small values as likely as large). */
  magnitude(maxBits: number): bigint {
    const bits = this.int(maxBits + 1);
    return bits === 0 ? 0n : this.bigRange(1n << BigInt(bits - 1), (1n << BigInt(bits)) - 1n);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick from an empty list");
    return items[this.int(items.length)];
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next32() & 0xff;
    return out;
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}
