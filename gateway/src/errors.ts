// Refusal codes of the gate: stable strings (clients and dashboards match on them) and their HTTP status.

export const REFUSALS = {
  /** No key in `Authorization: Bearer` or `X-API-Key`. */
  missing_api_key: 401,
  /** The key is not known to the ledger. */
  invalid_api_key: 401,
  /** The key was revoked. */
  revoked_api_key: 401,
  /** `X-User-ID` names someone who is not a member of the key's team. */
  not_a_member: 403,
  /** Over the tier's request rate. */
  rate_limited: 429,
  /** The request costs more than the team's available balance. */
  insufficient_balance: 402,
  /** The member's allocation for the period cannot pay the request. */
  member_allocation_exhausted: 402,
  /** The team's spend cap would waive (part of) the request: it would be served unpaid. */
  spend_cap_reached: 402,
  /** The key's team has no billing account on chain yet (create it and deposit). */
  team_account_missing: 402,
  /** Units, endpoint or user id not acceptable (e.g. units not a positive integer). */
  invalid_request: 422,
  /** Chain data older than the staleness bound (onChainUnavailable "deny"), or the chain cannot be read. */
  chain_unavailable: 503,
  /**
   * Balance leases (GateOptions.leases): this instance holds too small a share of the team's funds for the
   * request while the team's funds would pay it (the ledger is moving the share here), or it could not get
   * its first lease of the team (ledger unreachable).
   */
  balance_lease_unavailable: 503,
  /** A key not in the cache could not be looked up (ledger unreachable). */
  key_service_unavailable: 503,
  /** The served request could not be written to the usage log: its response must not be sent. */
  usage_log_unavailable: 503,
  /** Adapters: the wrapped handler failed before answering (not charged). */
  internal_error: 500,
  /** Metering proxy: the upstream could not be reached or failed mid-response (not charged). */
  bad_gateway: 502,
} as const;

export type RefusalCode = keyof typeof REFUSALS;

export const REFUSAL_MESSAGES: Record<RefusalCode, string> = {
  missing_api_key: "an API key is required (Authorization: Bearer <key> or X-API-Key)",
  invalid_api_key: "the API key is not valid",
  revoked_api_key: "the API key has been revoked",
  not_a_member: "X-User-ID is not a member of this team",
  rate_limited: "too many requests for this team's tier",
  insufficient_balance: "the team's prepaid balance cannot pay for this request",
  member_allocation_exhausted: "this member's allocation for the period cannot pay for this request",
  spend_cap_reached: "the team's spend cap for the period is reached",
  team_account_missing: "the team has no billing account on chain yet",
  invalid_request: "the request is not valid",
  chain_unavailable: "billing data is temporarily unavailable",
  balance_lease_unavailable: "this gateway does not hold enough of the team's balance yet; retry shortly",
  key_service_unavailable: "API key verification is temporarily unavailable",
  usage_log_unavailable: "usage could not be recorded; the request was not charged",
  internal_error: "the handler failed; the request was not charged",
  bad_gateway: "the upstream API could not be reached; the request was not charged",
};
