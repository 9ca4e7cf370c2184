"use client";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { apiPost, describeError } from "../../lib/client/api";
import { CopyButton } from "../ui/copy-button";

/** Creates a key and shows it once; the ledger keeps only its hash. */
export function CreateKeyForm({ teamId }: { teamId: string }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ key: string; prefix: string } | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    setBusy(true);
    setError(null);
    try {
      const result = await apiPost<{ key: string; prefix: string }>(`/api/teams/${teamId}/keys`, { name: new FormData(form).get("name") });
      setCreated(result);
      form.reset();
      router.refresh();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <form className="inline" onSubmit={submit}>
        <label>
          Name
          <input name="name" required maxLength={64} placeholder="production server" data-testid="key-name" />
        </label>
        <button className="btn btn-primary" disabled={busy} data-testid="create-key">
          {busy ? "Creating…" : "Create API key"}
        </button>
      </form>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {created ? (
        <div className="banner banner-ok" style={{ marginTop: "0.75rem" }} role="status">
          <p>
            <strong>Copy this key now.</strong> It is shown only once; we keep only a fingerprint of it.
          </p>
          <div className="row">
            <code className="secret-box" data-testid="new-api-key">
              {created.key}
            </code>
            <CopyButton text={created.key} />
          </div>
          <p className="small" style={{ marginTop: "0.5rem" }}>
            Send it as <code>Authorization: Bearer …</code> with <code>X-User-ID</code> naming the member making the request.
          </p>
        </div>
      ) : null}
    </>
  );
}
