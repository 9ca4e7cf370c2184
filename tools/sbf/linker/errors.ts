// Errors the linker reports. Each has a stable code (for tests and tooling) and a message that names
// the symbol, section or instruction at fault, because the usual reader is a developer whose program
// did not link.

export type LinkErrorCode =
  | "SBF_LINK_NOT_ELF"
  | "SBF_LINK_BAD_OBJECT"
  | "SBF_LINK_NOT_RELOCATABLE"
  | "SBF_LINK_WRITABLE_DATA"
  | "SBF_LINK_UNSUPPORTED_SECTION"
  | "SBF_LINK_RELA"
  | "SBF_LINK_UNKNOWN_RELOCATION"
  | "SBF_LINK_BAD_RELOCATION"
  | "SBF_LINK_UNDEFINED_SYMBOL"
  | "SBF_LINK_UNKNOWN_SYSCALL"
  | "SBF_LINK_VALUE_RANGE"
  | "SBF_LINK_NO_ENTRYPOINT"
  | "SBF_LINK_UNSUPPORTED_INSTRUCTION";

export class LinkError extends Error {
  constructor(
    readonly code: LinkErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "LinkError";
  }
}
