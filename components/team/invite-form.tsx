"use client";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { apiPost, describeError } from "../../lib/client/api";
import { CopyButton } from "../ui/copy-button";

/** Invite by e-mail and role; the link is shown once, to send to the person invited. */
export function InviteForm({ teamId, roles }: { teamId: string; roles: Array<"admin" | "member"> }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [link, setLink] = useState<string | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    setBusy(true);
    setError(null);
    try {
      const created = await apiPost<{ link: string }>(`/api/teams/${teamId}/invitations`, { email: data.get("email"), role: data.get("role") });
      setLink(created.link);
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
      <form className="inline" onSubmit={submit} data-testid="invite-form">
        <label>
          E-mail
          <input name="email" type="email" required maxLength={254} placeholder="dev@example.com" />
        </label>
        <label>
          Role
          <select name="role" defaultValue="member">
            {roles.map((r) => (
              <option key={r} value={r}>
                {r === "admin" ? "Admin" : "Member"}
              </option>
            ))}
          </select>
        </label>
        <button className="btn btn-primary" disabled={busy}>
          {busy ? "Inviting…" : "Create invite link"}
        </button>
      </form>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {link ? (
        <div style={{ marginTop: "0.75rem" }}>
          <p className="small">Send this link to the person you invited. It works once and expires in 7 days; it is not shown again.</p>
          <div className="row">
            <code className="secret-box" data-testid="invite-link">
              {link}
            </code>
            <CopyButton text={link} />
          </div>
        </div>
      ) : null}
    </>
  );
}
