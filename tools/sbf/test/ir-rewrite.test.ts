import assert from "node:assert/strict";

import { INLINE_MAX_STORES, IrRewriteError, rewriteIr, splitTopLevel } from "../ir-rewrite";

function fn(...body: string[]): string {
  return ["define void @f(ptr %d, ptr %s, i64 %n, i8 %b) #0 {", ...body.map((l) => `  ${l}`), "  ret void", "}", 'attributes #0 = { nounwind "target-cpu"="generic" }', ""].join("\n");
}

describe("LLVM IR rewrite before llc", function () {
  it("turns a variable-length llvm.memcpy into sol_memcpy_(dst, src, n), keeping argument attributes", function () {
    const { ir, stats } = rewriteIr(
      fn("tail call void @llvm.memcpy.p0.p0.i64(ptr nonnull align 1 %d, ptr noundef align 8 %s, i64 %n, i1 false) #5, !alias.scope !2"),
    );
    assert.match(ir, /^ {2}call void @sol_memcpy_\(ptr nonnull align 1 %d, ptr noundef align 8 %s, i64 %n\)$/m);
    assert.match(ir, /^declare void @sol_memcpy_\(ptr, ptr, i64\)$/m);
    assert.equal(stats.rewritten.memcpy, 1);
    assert.doesNotMatch(ir, /call void @llvm\.memcpy/);
  });

  it("turns llvm.memmove into sol_memmove_", function () {
    const { ir, stats } = rewriteIr(fn("call void @llvm.memmove.p0.p0.i64(ptr align 1 %d, ptr align 1 %s, i64 %n, i1 false)"));
    assert.match(ir, /call void @sol_memmove_\(ptr align 1 %d, ptr align 1 %s, i64 %n\)/);
    assert.match(ir, /^declare void @sol_memmove_\(ptr, ptr, i64\)$/m);
    assert.equal(stats.rewritten.memmove, 1);
  });

  it("turns llvm.memset into sol_memset_(dst, byte, n) with the byte zero-extended", function () {
    const { ir, stats } = rewriteIr(fn("call void @llvm.memset.p0.i64(ptr align 1 %d, i8 %b, i64 %n, i1 false)"));
    assert.match(ir, /call void @sol_memset_\(ptr align 1 %d, i8 zeroext %b, i64 %n\)/);
    assert.match(ir, /^declare void @sol_memset_\(ptr, i8 zeroext, i64\)$/m);
    assert.equal(stats.rewritten.memset, 1);
  });

  it("keeps short constant-length copies inline and sends long ones to the syscall", function () {
    const short = `call void @llvm.memcpy.p0.p0.i64(ptr align 8 %d, ptr align 8 %s, i64 ${8 * INLINE_MAX_STORES}, i1 false)`;
    const long = `call void @llvm.memcpy.p0.p0.i64(ptr align 1 %d, ptr align 8 %s, i64 ${INLINE_MAX_STORES + 1}, i1 false)`;
    const { ir, stats } = rewriteIr(fn(short, long));
    assert.ok(ir.includes(short));
    assert.match(ir, new RegExp(`call void @sol_memcpy_\\(ptr align 1 %d, ptr align 8 %s, i64 ${INLINE_MAX_STORES + 1}\\)`));
    assert.equal(stats.keptInline, 1);
    assert.equal(stats.rewritten.memcpy, 1);
  });

  it("splits arguments that are constant expressions with nested commas", function () {
    const gep = "ptr getelementptr inbounds ([4 x i8], ptr @buf, i64 0, i64 1)";
    const { ir } = rewriteIr(fn(`call void @llvm.memcpy.p0.p0.i64(ptr align 1 %d, ${gep}, i64 %n, i1 false)`));
    assert.ok(ir.includes(`call void @sol_memcpy_(ptr align 1 %d, ${gep}, i64 %n)`));
    assert.deepEqual(splitTopLevel('a, b(c, d), { e, f }, "g, h"'), ["a", "b(c, d)", "{ e, f }", '"g, h"']);
  });

  it("leaves the .inline variants, which llc must expand, untouched", function () {
    const line = "call void @llvm.memcpy.inline.p0.p0.i64(ptr align 1 %d, ptr align 1 %s, i64 16, i1 false)";
    const { ir, stats } = rewriteIr(fn(line));
    assert.ok(ir.includes(line));
    assert.equal(stats.rewritten.memcpy, 0);
    assert.doesNotMatch(ir, /declare void @sol_memcpy_/);
  });

  it("does not declare a syscall twice when the module already declares it", function () {
    const { ir } = rewriteIr(fn("call void @llvm.memcpy.p0.p0.i64(ptr %d, ptr %s, i64 %n, i1 false)") + "declare void @sol_memcpy_(ptr, ptr, i64)\n");
    assert.equal(ir.match(/declare void @sol_memcpy_/g)?.length, 1);
  });

  it("pins every function's target-cpu attribute to v2", function () {
    const { ir, stats } = rewriteIr(fn() + 'attributes #1 = { "target-cpu"="v1" "target-features"="" }\n');
    assert.equal(stats.cpuAttributes, 2);
    assert.doesNotMatch(ir, /"target-cpu"="(generic|v1)"/);
    assert.match(ir, /attributes #1 = \{ "target-cpu"="v2" "target-features"="" \}/);
  });

  it("rejects a 32-bit length, which the syscalls cannot take", function () {
    assert.throws(
      () => rewriteIr(fn("call void @llvm.memcpy.p0.p0.i32(ptr %d, ptr %s, i32 7, i1 false)")),
      (err: unknown) => err instanceof IrRewriteError && err.code === "SBF_IR_MEM_LEN" && /i32 length/.test(err.message),
    );
  });

  it("rejects a call it cannot parse instead of guessing", function () {
    assert.throws(
      () => rewriteIr(fn("call void @llvm.memcpy.p0.p0.i64(ptr %d, ptr %s, i64 %n")),
      (err: unknown) => err instanceof IrRewriteError && err.code === "SBF_IR_PARSE" && /line 2/.test(err.message),
    );
  });
});
