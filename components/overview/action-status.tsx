"use client";
import { phaseLabel, type ActionState } from "../wallet/use-signed-action";

/** The progress, error or result of a signed action, under its form. */
export function ActionStatus({ state }: { state: ActionState }) {
  const progress = phaseLabel(state.phase);
  if (progress) {
    return (
      <p className="small muted" role="status">
        {progress}
        {state.message ? <><br />{state.message}</> : null}
      </p>
    );
  }
  if (state.phase === "error") {
    return (
      <p className="form-error" role="alert">
        {state.message}
      </p>
    );
  }
  if (state.phase === "done") {
    return (
      <p className="small" role="status" style={{ color: "var(--ok)" }} data-testid="action-done">
        {state.message}
        {state.signature ? <span className="mono"> ({state.signature.slice(0, 8)}…)</span> : null}
      </p>
    );
  }
  return null;
}
