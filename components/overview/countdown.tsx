"use client";
import { useEffect, useState } from "react";
import { formatDuration } from "../../lib/format/text";

/** Time left until `untilSecs` (unix seconds), ticking every second; "ready" once it has passed. */
export function Countdown({ untilSecs, readyText = "ready now" }: { untilSecs: number; readyText?: string }) {
  const [now, setNow] = useState(() => Math.floor(Date.now() / 1000));
  useEffect(() => {
    const timer = setInterval(() => setNow(Math.floor(Date.now() / 1000)), 1000);
    return () => clearInterval(timer);
  }, []);
  const left = untilSecs - now;
  return <span data-testid="countdown" suppressHydrationWarning>{left > 0 ? `in ${formatDuration(left)}` : readyText}</span>;
}
