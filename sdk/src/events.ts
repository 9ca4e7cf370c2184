// Program events decoded from transaction logs ("Program data: <base64>" lines that anchor's EventParser
// attributes to this program), in the SDK's public shape: the contract's event names, camelCase fields,
// bigint amounts and times, base58 addresses, the usage root as lowercase hex.
import { BorshCoder, EventParser, type BN, type IdlEvents } from "@coral-xyz/anchor";
import { PublicKey } from "@solana/web3.js";
import { PROGRAM_ID, type EventName, type RevenueSourceCode } from "./constants";
import { camelKeys, toBigInt } from "./convert";
import { IDL_JSON, type PrepaidBilling } from "./idl";
import { toHex } from "./receipts";

type Raw = IdlEvents<PrepaidBilling>;

export interface TeamAccountCreated { team: string; owner: string; vault: string; tier: number; periodEnd: bigint }
export interface FundsDeposited { team: string; depositor: string; amount: bigint; balanceAfter: bigint }
export interface UsageDeducted {
  team: string;
  batchSeq: bigint;
  requestCount: bigint;
  amountCharged: bigint;
  amountPaid: bigint;
  amountWaived: bigint;
  periodRequests: bigint;
  balanceAfter: bigint;
  /** The batch's usage-receipt Merkle root, lowercase hex (64 characters). */
  usageRoot: string;
}
export interface LowBalanceAlert { team: string; owner: string; balance: bigint; threshold: bigint; timestamp: bigint }
export interface WithdrawalRequested { team: string; amount: bigint; unlockAt: bigint }
export interface FundsWithdrawn { team: string; owner: string; amount: bigint; balanceAfter: bigint }
export interface TierUpdated { team: string; oldTier: number; newTier: number; effectiveAt: bigint; proratedFee: bigint }
export interface PeriodRolled { team: string; periodStart: bigint; periodEnd: bigint; tier: number; baseFeeCharged: bigint }
export interface RevenueDistributed { team: string; source: RevenueSourceCode; treasuryAmount: bigint; stakerAmount: bigint }
export interface ConfigUpdated { admin: string }

interface EventData {
  TeamAccountCreated: TeamAccountCreated;
  FundsDeposited: FundsDeposited;
  UsageDeducted: UsageDeducted;
  LowBalanceAlert: LowBalanceAlert;
  WithdrawalRequested: WithdrawalRequested;
  FundsWithdrawn: FundsWithdrawn;
  TierUpdated: TierUpdated;
  PeriodRolled: PeriodRolled;
  RevenueDistributed: RevenueDistributed;
  ConfigUpdated: ConfigUpdated;
}

/** One decoded event: `{ name: "UsageDeducted", data: { … } }`, discriminated by name. */
export type BillingEvent = { [K in EventName]: { name: K; data: EventData[K] } }[EventName];

/** The data of the event named `K`. */
export type BillingEventData<K extends EventName> = EventData[K];

const key = (k: PublicKey): string => k.toBase58();
const big = (v: BN): bigint => toBigInt(v);

// One converter per event, typed against anchor's decoded shape, so a field renamed in the IDL fails to
// compile here instead of yielding undefined.
const convert: { [K in EventName]: (raw: Raw[Uncapitalize<K>]) => EventData[K] } = {
  TeamAccountCreated: (r) => ({ team: key(r.team), owner: key(r.owner), vault: key(r.vault), tier: r.tier, periodEnd: big(r.periodEnd) }),
  FundsDeposited: (r) => ({ team: key(r.team), depositor: key(r.depositor), amount: big(r.amount), balanceAfter: big(r.balanceAfter) }),
  UsageDeducted: (r) => ({
    team: key(r.team),
    batchSeq: big(r.batchSeq),
    requestCount: big(r.requestCount),
    amountCharged: big(r.amountCharged),
    amountPaid: big(r.amountPaid),
    amountWaived: big(r.amountWaived),
    periodRequests: big(r.periodRequests),
    balanceAfter: big(r.balanceAfter),
    usageRoot: toHex(Uint8Array.from(r.usageRoot)),
  }),
  LowBalanceAlert: (r) => ({ team: key(r.team), owner: key(r.owner), balance: big(r.balance), threshold: big(r.threshold), timestamp: big(r.timestamp) }),
  WithdrawalRequested: (r) => ({ team: key(r.team), amount: big(r.amount), unlockAt: big(r.unlockAt) }),
  FundsWithdrawn: (r) => ({ team: key(r.team), owner: key(r.owner), amount: big(r.amount), balanceAfter: big(r.balanceAfter) }),
  TierUpdated: (r) => ({ team: key(r.team), oldTier: r.oldTier, newTier: r.newTier, effectiveAt: big(r.effectiveAt), proratedFee: big(r.proratedFee) }),
  PeriodRolled: (r) => ({ team: key(r.team), periodStart: big(r.periodStart), periodEnd: big(r.periodEnd), tier: r.tier, baseFeeCharged: big(r.baseFeeCharged) }),
  RevenueDistributed: (r) => ({ team: key(r.team), source: r.source as RevenueSourceCode, treasuryAmount: big(r.treasuryAmount), stakerAmount: big(r.stakerAmount) }),
  ConfigUpdated: (r) => ({ admin: key(r.admin) }),
};

let coder: BorshCoder | undefined;
const parsers = new Map<string, EventParser>();

function parserFor(programId: PublicKey): EventParser {
  coder ??= new BorshCoder(IDL_JSON as ConstructorParameters<typeof BorshCoder>[0]);
  let parser = parsers.get(programId.toBase58());
  if (!parser) {
    parser = new EventParser(programId, coder);
    parsers.set(programId.toBase58(), parser);
  }
  return parser;
}

function isEventName(name: string): name is EventName {
  return Object.prototype.hasOwnProperty.call(convert, name);
}

function toEvent<K extends EventName>(name: K, data: unknown): BillingEvent {
  const fn = convert[name] as (raw: unknown) => EventData[K];
  return { name, data: fn(camelKeys(data)) } as BillingEvent;
}

/**
 * Every event the program emitted in a transaction, in order, from its log messages. Only logs of this
 * program's own invocation frames count (anchor's EventParser tracks CPI depth), so another program's
 * "Program data:" lines are never mistaken for ours.
 */
export function parseEvents(logs: readonly string[], programId: PublicKey = PROGRAM_ID): BillingEvent[] {
  const out: BillingEvent[] = [];
  if (logs.length === 0) return out;
  for (const event of parserFor(programId).parseLogs([...logs])) {
    if (isEventName(event.name)) out.push(toEvent(event.name, event.data));
  }
  return out;
}

/** The events named `name` in `events`, with their data typed. */
export function eventsNamed<K extends EventName>(events: readonly BillingEvent[], name: K): EventData[K][] {
  return events.filter((e) => e.name === name).map((e) => e.data as EventData[K]);
}
