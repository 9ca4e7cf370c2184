// The metering gateway: public surface.
export { createGate, Gate, Ticket, HEADER, TicketStateError, UsageLogUnavailableError } from "./gate";
export type { Admission, AdmitInput, GateStats, RefusalBody } from "./gate";
export type { GateOptions, OnChainUnavailable } from "./options";
export { REFUSALS, REFUSAL_MESSAGES, type RefusalCode } from "./errors";
export { TIER_RATE_LIMITS, type RateLimit } from "./config/rate-limits";
export { MemoryKeySource, type KeySource, type KeyRecord, type MemberGrant, type RevocationPage } from "./keys/source";
export { hashApiKey } from "./keys/hash";
export { MemoryBalanceSource, type BalanceSource, type TeamChainState } from "./balance/source";
export { availableBalance, baseFeeDue, TeamBook } from "./balance/team-book";
export { MemoryUsageSink, type UsageEntry, type UsageSink } from "./usage/sink";
export { decodePaymentRequired, encodePaymentRequired, type PaymentRequired } from "./payment-required";
export { apiKeyFrom, userIdFrom, type HeaderGetter } from "./request";
