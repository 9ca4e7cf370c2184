import type { AppError } from "../../lib/errors";
import { RetryButton } from "./retry-button";

/** A failed load, in words, with a retry. */
export function ErrorState({ error, title = "We could not load this" }: { error: Pick<AppError, "message" | "code">; title?: string }) {
  return (
    <div className="card error-state" role="alert" data-error-code={error.code}>
      <h2>{title}</h2>
      <p>{error.message}</p>
      <RetryButton />
    </div>
  );
}
