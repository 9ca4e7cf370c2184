// Errors of the embedded ledger engine, each with a stable code so callers and logs can match on
// it rather than on wording.
export type SidecarErrorCode =
  | "data_dir_locked" // another live process owns the data directory
  | "store_corrupt" // snapshot or log cannot be read back
  | "modules_invalid" // convex/ cannot be loaded (no _generated, schema or a module fails)
  | "sidecar_start_failed"; // the child process exited or timed out before answering

export class SidecarError extends Error {
  readonly code: SidecarErrorCode;

  constructor(code: SidecarErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = "SidecarError";
    this.code = code;
  }
}
