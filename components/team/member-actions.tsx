"use client";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { apiDelete, apiPatch, describeError } from "../../lib/client/api";

export interface MemberActionsProps {
  teamId: string;
  memberId: string;
  role: "owner" | "admin" | "member";
  /** What the signed-in role may do to this member (from the role table; the server checks again). */
  canChangeRole: boolean;
  canManage: boolean;
  /** Current allocation as a plain USDC number ("12.5"), or "" for none. */
  allocationText: string;
}

export function MemberActions(props: MemberActionsProps) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [allocation, setAllocation] = useState(props.allocationText);

  async function act(call: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    try {
      await call();
      router.refresh();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  const base = `/api/teams/${props.teamId}/members/${props.memberId}`;
  if (!props.canChangeRole && !props.canManage) return null;
  return (
    <div>
      <div className="row">
        {props.canChangeRole ? (
          <select
            aria-label="Role"
            value={props.role}
            disabled={busy}
            onChange={(e) => act(() => apiPatch(base, { role: e.target.value }))}
            data-testid="role-select"
          >
            <option value="admin">Admin</option>
            <option value="member">Member</option>
          </select>
        ) : null}
        {props.canManage ? (
          <>
            <form
              className="inline"
              onSubmit={(e: FormEvent) => {
                e.preventDefault();
                void act(() => apiPatch(base, { allocation: allocation.trim() === "" ? null : allocation.trim() }));
              }}
            >
              <input
                aria-label="Allocation per period (USDC, empty for no limit)"
                placeholder="no limit"
                inputMode="decimal"
                value={allocation}
                onChange={(e) => setAllocation(e.target.value)}
                style={{ width: 110 }}
              />
              <button className="btn btn-small" disabled={busy}>
                Set allocation
              </button>
            </form>
            <button
              className="btn btn-small btn-danger"
              disabled={busy}
              onClick={() => {
                if (window.confirm("Remove this member from the team? Their requests will be refused from now on.")) void act(() => apiDelete(base));
              }}
            >
              Remove
            </button>
          </>
        ) : null}
      </div>
      {error ? (
        <p className="form-error small" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
