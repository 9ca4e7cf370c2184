// Pages load data with `attempt` so a failure is rendered as an error state in words (production builds
// hide thrown messages from error boundaries).
import { toAppError, type AppError } from "../errors";

export type Attempt<T> = { ok: true; value: T } | { ok: false; error: AppError };

export async function attempt<T>(load: () => Promise<T>): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await load() };
  } catch (error) {
    const appError = toAppError(error);
    if (appError.code === "internal") console.error("dashboard page failed:", error);
    return { ok: false, error: appError };
  }
}
