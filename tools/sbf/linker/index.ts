// The SBPFv0 linker: one eBPF relocatable object in, one loadable shared object out.
//   read (elf-reader) → place sections (layout) → copy contents → resolve relocations (relocations)
//   → check instructions and fix callx (validate) → place dynamic tables (layout) → write (elf-writer)
import fs from "node:fs";
import path from "node:path";

import { readObject } from "./elf-reader";
import { SHN_UNDEF, STT_FUNC } from "./elf";
import { LinkError } from "./errors";
import { layoutCode, layoutDynamic } from "./layout";
import { applyRelocations } from "./relocations";
import { type FunctionSymbol, validateText } from "./validate";
import { writeSharedObject } from "./elf-writer";

export { LinkError } from "./errors";
export type { LinkErrorCode } from "./errors";

export interface LinkOptions {
  /** Name of the entry symbol (the loader starts there); "entrypoint" by default. */
  entry?: string;
  /** Syscall names to accept besides the runtime's known ones. */
  extraSyscalls?: Iterable<string>;
}

export interface LinkReport {
  textSize: number;
  rodataSize: number;
  fileSize: number;
  instructions: number;
  /** File offset (= address) of the entry symbol. */
  entry: number;
  /** Distinct syscalls the program calls, sorted. */
  syscalls: string[];
  relocations: Record<string, number>;
  callxFixups: number;
}

export function link(objectBytes: Buffer, options: LinkOptions = {}): { so: Buffer; report: LinkReport } {
  const entryName = options.entry ?? "entrypoint";
  const obj = readObject(objectBytes);
  const code = layoutCode(obj);
  if (code.textSize === 0) throw new LinkError("SBF_LINK_NO_ENTRYPOINT", "the object has no code");

  const image = Buffer.alloc(code.end);
  for (const placement of code.placements.values()) placement.section.data.copy(image, placement.address);

  const relocated = applyRelocations(obj, code, image, { extraSyscalls: options.extraSyscalls });

  const functions: FunctionSymbol[] = obj.symbols
    .filter((s) => s.type === STT_FUNC && code.placements.get(s.shndx)?.output === "text")
    .map((s) => ({ name: s.name, address: (code.placements.get(s.shndx)?.address ?? 0) + Number(s.value), size: Number(s.size) }));
  const validation = validateText(image, code.textOffset, code.textSize, functions);

  const entrySymbol = obj.symbols.find((s) => s.name === entryName && s.shndx !== SHN_UNDEF);
  const entryPlacement = entrySymbol && code.placements.get(entrySymbol.shndx);
  if (!entrySymbol || !entryPlacement || entryPlacement.output !== "text") {
    throw new LinkError(
      "SBF_LINK_NO_ENTRYPOINT",
      `no function \`${entryName}\` in the code; export \`#[no_mangle] pub unsafe extern "C" fn ${entryName}(input: *mut u8) -> u64\``,
    );
  }
  const entry = entryPlacement.address + Number(entrySymbol.value);

  const syscallNames = [...new Set(relocated.syscallSites.map((s) => s.name))].sort();
  const dynamic = layoutDynamic(code, syscallNames, relocated.syscallSites.length);
  const so = writeSharedObject({ image, code, dynamic, syscallNames, syscallSites: relocated.syscallSites, entry });
  return {
    so,
    report: {
      textSize: code.textSize,
      rodataSize: code.rodataSize,
      fileSize: so.length,
      instructions: validation.instructions,
      entry,
      syscalls: syscallNames,
      relocations: relocated.counts,
      callxFixups: validation.callxFixups,
    },
  };
}

/** Links `objectPath` into `outputPath` (written atomically: a failed link leaves no half-file). */
export function linkFile(objectPath: string, outputPath: string, options: LinkOptions = {}): LinkReport {
  const { so, report } = link(fs.readFileSync(objectPath), options);
  fs.mkdirSync(path.dirname(outputPath), { recursive: true });
  const tmp = `${outputPath}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, so);
  fs.renameSync(tmp, outputPath);
  return report;
}
