"use client";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { apiPost, describeError } from "../../lib/client/api";

export interface TierOption {
  id: number;
  label: string;
}

export function CreateTeamForm({ tiers }: { tiers: TierOption[] }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      const { teamId } = await apiPost<{ teamId: string }>("/api/teams", {
        name: form.get("name"),
        tier: Number(form.get("tier")),
        email: form.get("email"),
      });
      router.push(`/teams/${teamId}`);
      router.refresh();
    } catch (e) {
      setError(describeError(e));
      setBusy(false);
    }
  }

  return (
    <form className="inline" onSubmit={submit}>
      <label>
        Team name
        <input name="name" required maxLength={80} placeholder="Acme API" />
      </label>
      <label>
        Tier
        <select name="tier" defaultValue={0}>
          {tiers.map((t) => (
            <option key={t.id} value={t.id}>
              {t.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Invoice e-mail (optional)
        <input name="email" type="email" maxLength={254} placeholder="billing@example.com" />
      </label>
      <button className="btn btn-primary" disabled={busy}>
        {busy ? "Creating…" : "Create team"}
      </button>
      {error ? (
        <p className="form-error" role="alert" style={{ flexBasis: "100%" }}>
          {error}
        </p>
      ) : null}
    </form>
  );
}
