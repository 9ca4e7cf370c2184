"use client";
import { useRouter } from "next/navigation";
import { useTransition } from "react";

/** Loads the page's server data again. */
export function RetryButton({ onRetry, label = "Try again" }: { onRetry?: () => void; label?: string }) {
  const router = useRouter();
  const [pending, start] = useTransition();
  return (
    <button className="btn" disabled={pending} onClick={() => (onRetry ? onRetry() : start(() => router.refresh()))}>
      {pending ? "Loading…" : label}
    </button>
  );
}
