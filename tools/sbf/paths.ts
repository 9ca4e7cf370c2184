// Where the toolchain lives. Everything fetched or built is kept under the git-ignored
// `.cache/sbf/` of the repository, so a fresh clone rebuilds it and nothing touches the system
// outside apt-installed Debian packages.
import path from "node:path";

export const repoRoot = path.resolve(__dirname, "..", "..");
export const cacheDir = path.join(repoRoot, ".cache", "sbf");

/** Debian packages downloaded with `apt-get download` (kept so a re-unpack needs no network). */
export const debsDir = path.join(cacheDir, "debs");
/** `dpkg -x` root of Debian's rustc/rust-src/libstd-rust/cargo: `usr/bin/rustc`, `usr/lib/rustlib/…`. */
export const rustRoot = path.join(cacheDir, "rust");
/** Sysroot whose `lib/rustlib/bpfel-unknown-none/lib` holds core, alloc and compiler_builtins. */
export const sysrootDir = path.join(cacheDir, "sysroot");
/** Wrapper scripts (`rustc`, `cargo`) that set LD_LIBRARY_PATH for the unpacked Debian rustc. */
export const binDir = path.join(cacheDir, "bin");
/** Intermediate files of program builds (bitcode, IR, objects, stamps). */
export const buildDir = path.join(cacheDir, "build");

export const BPF_TARGET = "bpfel-unknown-none";
export const bpfLibDir = path.join(sysrootDir, "lib", "rustlib", BPF_TARGET, "lib");

export const rustcWrapper = path.join(binDir, "rustc");
export const cargoWrapper = path.join(binDir, "cargo");

/** LLVM 19 tools from Debian's clang-19/llvm-19 packages. */
export const llvm = {
  clang: "/usr/bin/clang-19",
  llc: "/usr/bin/llc-19",
  llvmLink: "/usr/bin/llvm-link-19",
  llvmDis: "/usr/bin/llvm-dis-19",
  llvmAs: "/usr/bin/llvm-as-19",
  objdump: "/usr/bin/llvm-objdump-19",
  readelf: "/usr/bin/llvm-readelf-19",
} as const;
