// Transactions a user's wallet signs: the server builds them with the SDK (PDAs, accounts, amounts
// checked), the wallet signs, the server submits and waits for confirmation. Each action checks the role
// table first; the program checks the signer again (only the owner can move funds out).
import { ASSOCIATED_TOKEN_PROGRAM_ID, createAssociatedTokenAccountIdempotentInstruction } from "@solana/spl-token";
import { PublicKey, type TransactionInstruction } from "@solana/web3.js";
import { TIER_COUNT } from "../../sdk/src/constants";
import { maxWithdrawalRequest, prorateUpgrade } from "../../sdk/src/pricing";
import { requireTeamAccess, type TeamAccess } from "../auth/access";
import { AppError } from "../errors";
import { formatDuration } from "../format/text";
import { formatUsdc } from "../format/usdc";
import { serverEnv } from "../env";
import { billingClient, fromChain, readTeamChainState, requireConfig, unsignedTransaction, walletUsdc } from "../server/chain";
import { json, nowSecs, readJson, requireAction } from "../server/route";
import { checkSignedTransaction, submitAndConfirm } from "../server/submit";
import { requireInteger, requireOneOf, requireUsdcAmount } from "./validate";

export const ACTIONS = ["create_account", "deposit", "request_withdrawal", "withdraw", "update_tier"] as const;
export type TransactionAction = (typeof ACTIONS)[number];

interface Built {
  instructions: TransactionInstruction[];
  /** What the wallet is about to sign, in words, shown before signing. */
  summary: string;
}

/** Only the team's owner wallet may sign these on chain; the ledger's Owner is that wallet. */
function requireOwnerWallet(access: TeamAccess): PublicKey {
  if (access.role !== "owner" || access.team.ownerWallet !== access.wallet) {
    throw new AppError("forbidden", "Only the team's owner can do this: the billing program accepts it from the owner's wallet only.", "owner_only");
  }
  return new PublicKey(access.wallet);
}

async function buildAction(access: TeamAccess, action: TransactionAction, body: Record<string, unknown>): Promise<Built> {
  const client = billingClient();
  const owner = new PublicKey(access.team.ownerWallet);
  const wallet = new PublicKey(access.wallet);
  const config = await requireConfig();
  const state = await readTeamChainState(owner);
  const now = BigInt(nowSecs());

  if (action === "create_account") {
    requireOwnerWallet(access);
    if (state.team) throw new AppError("conflict", "The team already has its on-chain billing account.", "account_exists");
    const tier = requireInteger(body.tier ?? access.team.tier, "the tier", 0, TIER_COUNT - 1);
    return {
      instructions: [await client.createTeamAccountIx({ owner: wallet, tier, usdcMint: config.usdcMint })],
      summary: `Create ${access.team.name}'s billing account and vault on chain (tier ${tier}). The first period's base fee is due from the first deposit.`,
    };
  }

  if (!state.team || state.vaultBalance === null) {
    throw new AppError("conflict", "The team has no on-chain billing account yet: its owner creates it on the overview page.", "account_missing");
  }
  const team = state.team;

  switch (action) {
    case "deposit": {
      const amount = requireUsdcAmount(body.amount, "the amount to deposit");
      if (config.paused) throw new AppError("transaction_refused", "Billing is paused by the operator: deposits are not accepted right now.", "Paused");
      const source = await walletUsdc(wallet, config.usdcMint);
      if (!source.exists) throw new AppError("payment_required", "Your wallet has no USDC account on this network.", "no_usdc_account");
      if (source.balance < amount) {
        throw new AppError("payment_required", `Your wallet holds ${formatUsdc(source.balance)}, less than ${formatUsdc(amount)}.`, "TokenInsufficientFunds");
      }
      return {
        instructions: [await client.depositFundsIx({ depositor: wallet, depositorToken: source.address, teamOwner: owner, amount })],
        summary: `Deposit ${formatUsdc(amount)} into ${access.team.name}'s vault.`,
      };
    }
    case "request_withdrawal": {
      requireOwnerWallet(access);
      const amount = requireUsdcAmount(body.amount, "the amount to withdraw", { allowZero: true });
      const most = maxWithdrawalRequest({ vaultBalance: state.vaultBalance, unpaidBaseFee: team.unpaidBaseFee, unpaidOverage: team.unpaidOverage });
      if (amount > most) throw new AppError("invalid_argument", `You can request at most ${formatUsdc(most)} (the vault less any unpaid debt).`, "amount_above_withdrawable");
      return {
        instructions: [await client.requestWithdrawalIx({ owner: wallet, amount })],
        summary:
          amount === 0n
            ? "Cancel the pending withdrawal request."
            : `Request a withdrawal of ${formatUsdc(amount)}. It can be executed after the notice period of ${formatDuration(Number(config.withdrawalNoticeSecs))}.`,
      };
    }
    case "withdraw": {
      requireOwnerWallet(access);
      if (team.pendingWithdrawal === 0n) throw new AppError("conflict", "There is no withdrawal request to execute.", "NoPendingWithdrawal");
      if (now < team.withdrawalUnlockAt) {
        throw new AppError("conflict", `The notice period ends in ${formatDuration(Number(team.withdrawalUnlockAt - now))}.`, "WithdrawalNotReady");
      }
      const destination = await walletUsdc(wallet, config.usdcMint);
      const instructions: TransactionInstruction[] = [];
      if (!destination.exists) {
        instructions.push(createAssociatedTokenAccountIdempotentInstruction(wallet, destination.address, wallet, config.usdcMint));
      }
      instructions.push(await client.withdrawUnusedIx({ owner: wallet, ownerToken: destination.address }));
      return { instructions, summary: `Withdraw the requested ${formatUsdc(team.pendingWithdrawal)} to your wallet (less any unpaid debt).` };
    }
    case "update_tier": {
      requireOwnerWallet(access);
      const newTier = requireInteger(body.tier, "the tier", 0, TIER_COUNT - 1);
      if (newTier === team.tier) throw new AppError("conflict", "The team is already on this tier.", "same_tier");
      const from = config.tiers[team.tier];
      const to = config.tiers[newTier];
      const upgrade = to.monthlyFee > from.monthlyFee;
      const fee = upgrade
        ? prorateUpgrade({ oldMonthlyFee: from.monthlyFee, newMonthlyFee: to.monthlyFee, periodEnd: team.periodEnd, now, periodSecs: config.periodSecs })
        : 0n;
      return {
        instructions: [await client.updateTierIx({ authority: wallet, teamOwner: owner, newTier })],
        summary: upgrade
          ? `Upgrade now; ${formatUsdc(fee)} (the prorated difference for the rest of this period) is charged from the vault.`
          : "Downgrade at the start of the next period; nothing is charged now.",
      };
    }
    default:
      throw new AppError("invalid_argument", "Unknown action.");
  }
}

/** POST {action, ...} → {transaction (base64, unsigned), lastValidBlockHeight, summary}. */
export async function postTransaction(req: Request, params: { teamId: string }): Promise<Response> {
  const session = requireAction(req);
  const body = await readJson(req);
  const action = requireOneOf(body.action, ACTIONS, "an action");
  const access = await requireTeamAccess(session.wallet, params.teamId, "viewTeam");
  const built = await buildAction(access, action, body);
  const unsigned = await unsignedTransaction(new PublicKey(session.wallet), built.instructions);
  return json({ ...unsigned, summary: built.summary });
}

/** POST {transaction (base64, signed), lastValidBlockHeight?} → {signature, slot} once confirmed. */
export async function postSubmit(req: Request, params: { teamId: string }): Promise<Response> {
  const session = requireAction(req);
  const body = await readJson(req);
  await requireTeamAccess(session.wallet, params.teamId, "viewTeam");
  const tx = checkSignedTransaction(body.transaction, {
    wallet: new PublicKey(session.wallet),
    programIds: [serverEnv().programId, ASSOCIATED_TOKEN_PROGRAM_ID],
  });
  const lastValid = typeof body.lastValidBlockHeight === "number" ? body.lastValidBlockHeight : undefined;
  const submitted = await fromChain(() => submitAndConfirm(tx, lastValid));
  return json(submitted);
}
