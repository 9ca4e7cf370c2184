// Scheduled work. Crons call internal functions only.
import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

// Invoices for the month that just ended, early on the 1st (UTC).
crons.monthly("monthly invoices", { day: 1, hourUTC: 0, minuteUTC: 5 }, internal.invoices.generateMonthly, {});

export default crons;
