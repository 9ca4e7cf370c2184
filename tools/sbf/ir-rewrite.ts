// Rewrites textual LLVM IR (llvm-dis-19 / llvm-link-19 -S output) before `llc-19`:
//   - calls to `llvm.memcpy/memmove/memset` become calls to the `sol_memcpy_`/`sol_memmove_`/
//     `sol_memset_` syscalls. The BPF backend cannot lower these intrinsics when the length is not a
//     constant or needs many stores (it would emit a libcall, which BPF has not); the syscalls do the
//     work for about 10 CU. Short constant-length copies stay inline, where they cost fewer CU.
//   - every `"target-cpu"` function attribute becomes "v2", so `llc -mcpu=v2` is not silently
//     overridden by the "generic" (v1) CPU that rustc records in each function.
// The `.inline` variants of the intrinsics must be inlined by definition and are left alone.

export class IrRewriteError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "IrRewriteError";
  }
}

/** Constant-length copies needing at most this many stores stay inline (≈ 1–2 CU per store vs ≈ 10+ CU per syscall). */
export const INLINE_MAX_STORES = 8;

type MemOp = "memcpy" | "memmove" | "memset";

const SYSCALL_DECLS: Record<MemOp, string> = {
  // Arguments are (dst, src, n) and (dst, byte, n), as the runtime's syscalls take them.
  memcpy: "declare void @sol_memcpy_(ptr, ptr, i64)",
  memmove: "declare void @sol_memmove_(ptr, ptr, i64)",
  memset: "declare void @sol_memset_(ptr, i8 zeroext, i64)",
};

export interface RewriteStats {
  /** Intrinsic calls turned into syscalls, per operation. */
  rewritten: Record<MemOp, number>;
  /** Constant-length intrinsic calls left for llc to expand inline. */
  keptInline: number;
  /** `"target-cpu"` attributes changed to v2. */
  cpuAttributes: number;
}

/** Splits `a, b(c, d), e` at top-level commas (ignoring commas nested in (), [], {}, <> or quotes). */
export function splitTopLevel(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const ch = list[i];
    if (quoted) {
      if (ch === '"') quoted = false;
      continue;
    }
    if (ch === '"') quoted = true;
    else if ("([{<".includes(ch)) depth++;
    else if (")]}>".includes(ch)) depth--;
    else if (ch === "," && depth === 0) {
      parts.push(list.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = list.slice(start).trim();
  if (last) parts.push(last);
  return parts;
}

/** Index of the `)` closing the `(` at `open`, skipping nested brackets and quoted strings. */
function closingParen(text: string, open: number): number {
  let depth = 0;
  let quoted = false;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') quoted = false;
      continue;
    }
    if (ch === '"') quoted = true;
    else if ("([{<".includes(ch)) depth++;
    else if (")]}>".includes(ch)) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function alignOf(arg: string): number {
  const match = /\balign (\d+)\b/.exec(arg);
  return match ? Number(match[1]) : 1;
}

/** The literal length of `i64 123`, or undefined for a non-constant length. */
function constantLength(arg: string): bigint | undefined {
  const match = /^i64(?:\s+noundef)?\s+(-?\d+)$/.exec(arg.trim());
  return match ? BigInt(match[1]) : undefined;
}

const CALL_RE = /^(\s*)(?:(?:tail|musttail|notail)\s+)?call void @llvm\.(memcpy|memmove|memset)\.p0(?:\.p0)?\.i(\d+)\(/;

function rewriteCall(line: string, lineNo: number, stats: RewriteStats): string {
  const match = CALL_RE.exec(line);
  if (!match) return line;
  const [prefix, indent, opName, lenBits] = match;
  const op = opName as MemOp;
  const open = prefix.length - 1;
  const close = closingParen(line, open);
  if (close < 0) throw new IrRewriteError("SBF_IR_PARSE", `line ${lineNo}: unbalanced call to llvm.${op}: ${line.trim()}`);
  const args = splitTopLevel(line.slice(open + 1, close));
  if (args.length !== 4) {
    throw new IrRewriteError("SBF_IR_PARSE", `line ${lineNo}: expected 4 arguments to llvm.${op}, got ${args.length}: ${line.trim()}`);
  }
  if (lenBits !== "64") {
    throw new IrRewriteError("SBF_IR_MEM_LEN", `line ${lineNo}: llvm.${op} with an i${lenBits} length is not supported (expected i64)`);
  }
  const [dst, second, len] = args;
  const length = constantLength(len);
  if (length !== undefined) {
    const align = op === "memset" ? alignOf(dst) : Math.min(alignOf(dst), alignOf(second));
    const stores = (length + BigInt(align) - 1n) / BigInt(align);
    if (stores <= BigInt(INLINE_MAX_STORES)) {
      stats.keptInline++;
      return line;
    }
  }
  stats.rewritten[op]++;
  const value = op === "memset" ? second.replace(/^i8\b/, "i8 zeroext") : second;
  // Call-site attributes and metadata of the intrinsic (after the closing parenthesis) are dropped.
  return `${indent}call void @sol_${op}_(${dst}, ${value}, ${len})`;
}

/** Rewrites memory intrinsics into syscalls and pins the CPU; returns the new IR and what changed. */
export function rewriteIr(ir: string): { ir: string; stats: RewriteStats } {
  const stats: RewriteStats = { rewritten: { memcpy: 0, memmove: 0, memset: 0 }, keptInline: 0, cpuAttributes: 0 };
  const lines = ir.split("\n");
  const declared = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.includes("@llvm.mem")) lines[i] = rewriteCall(line, i + 1, stats);
    const decl = /^declare [^@]*@(sol_mem(?:cpy|move|set)_)\(/.exec(line);
    if (decl) declared.add(decl[1]);
    if (line.startsWith("attributes #") && line.includes('"target-cpu"')) {
      lines[i] = line.replace(/"target-cpu"="[^"]*"/g, () => {
        stats.cpuAttributes++;
        return '"target-cpu"="v2"';
      });
    }
  }
  for (const op of Object.keys(SYSCALL_DECLS) as MemOp[]) {
    const name = `sol_${op}_`;
    if (stats.rewritten[op] > 0 && !declared.has(name)) lines.push(SYSCALL_DECLS[op]);
  }
  return { ir: lines.join("\n"), stats };
}
