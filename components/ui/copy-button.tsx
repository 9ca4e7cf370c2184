"use client";
import { useState } from "react";

/** Copies `text` to the clipboard; says so for two seconds. */
export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setCopied("yes");
    } catch {
      // Clipboard access can be refused (permissions, insecure origin): the text stays selectable.
      setCopied("failed");
    }
    setTimeout(() => setCopied(null), 2000);
  }
  return (
    <button type="button" className="btn btn-small" onClick={copy} data-testid="copy-button">
      {copied === "yes" ? "Copied" : copied === "failed" ? "Select and copy it" : label}
    </button>
  );
}
