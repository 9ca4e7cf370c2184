"use client";
import { useEffect } from "react";

/**
 * Marks the document once React has hydrated it (`data-hydrated-at` = ms since navigation start), so the
 * browser tests can measure how long the overview takes to become interactive.
 */
export function HydrationMark() {
  useEffect(() => {
    document.documentElement.dataset.hydratedAt = String(Math.round(performance.now()));
  }, []);
  return null;
}
