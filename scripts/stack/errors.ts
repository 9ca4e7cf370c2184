// Errors of the stack scripts (npm start, npm run e2e), each with a stable code a caller or a test can
// match on instead of parsing the message.
export type StackErrorCode =
  /** A port the stack wants is taken by another process. */
  | "port_in_use"
  /** Another running stack uses the same data directory. */
  | "data_dir_in_use"
  /** A child process exited before it said it was ready. */
  | "child_exited"
  /** A child process did not become ready in time. */
  | "start_timeout"
  /** `next build` failed. */
  | "build_failed"
  /** The program is not built (target/deploy/prepaid_billing.so is missing). */
  | "program_missing"
  /** The cluster's deployment cannot be used as asked (another billing authority, other tier terms…). */
  | "deployment_mismatch"
  /** A command-line argument is wrong. */
  | "usage";

export class StackError extends Error {
  readonly code: StackErrorCode;
  constructor(code: StackErrorCode, message: string) {
    super(message);
    this.name = "StackError";
    this.code = code;
  }
}
