"use client";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { apiPost, describeError } from "../../lib/client/api";

/** Owners generate (or refresh) the invoice of a month; the ledger also does it on the 1st of each month. */
export function GenerateInvoiceForm({ teamId, defaultMonth }: { teamId: string; defaultMonth: string }) {
  const router = useRouter();
  const [month, setMonth] = useState(defaultMonth);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const invoice = await apiPost<{ invoiceId: string }>(`/api/teams/${teamId}/invoices`, { month });
      router.push(`/teams/${teamId}/invoices/${invoice.invoiceId}`);
      router.refresh();
    } catch (e) {
      setError(describeError(e));
      setBusy(false);
    }
  }

  return (
    <form className="inline" onSubmit={submit} data-testid="generate-invoice">
      <label>
        Month
        <input type="month" value={month} onChange={(e) => setMonth(e.target.value)} required />
      </label>
      <button className="btn btn-primary" disabled={busy}>
        {busy ? "Generating…" : "Generate invoice"}
      </button>
      {error ? (
        <p className="form-error" role="alert" style={{ flexBasis: "100%" }}>
          {error}
        </p>
      ) : null}
    </form>
  );
}
