// A ready deployment of prepaid_billing in a fresh SVM: program loaded (directly or through the
// upgradeable loader), a 6-decimal USDC-like mint, treasury and staker-pool token accounts, a billing
// authority keypair, and BillingConfig initialised with the default tiers. Plus helpers to fund wallets
// and open teams, so program tests start from one line.
import { Keypair, type PublicKey } from "@solana/web3.js";
import { LiteSVM } from "litesvm";
import {
  PrepaidBillingClient,
  USDC,
  type BillingConfig,
  type InitializeConfigParams,
  type SettlementAccounts,
  type TeamBillingAccount,
} from "../../sdk/src";
import { warpTo } from "./clock";
import { LiteSvmProvider } from "./litesvm-provider";
import { deployProgramUpgradeable, loadProgram } from "./program";
import { createMint, createTokenAccount, mintTo, tokenBalance } from "./tokens";

/** 2026-01-01T00:00:00Z: the SVM clock starts here so periods and unlock times look like real dates. */
export const DEFAULT_START_TIME = 1_767_225_600n;

export interface DeploymentOptions {
  /** Deploy through BPFLoaderUpgradeable instead of loading the program directly; default false. */
  upgradeable?: boolean;
  /** The SVM to use; default a new one. */
  svm?: LiteSVM;
  /** Unix seconds the clock starts at; default DEFAULT_START_TIME. */
  startTime?: bigint;
  /** Overrides of the config arguments (notice, period, split, tiers). */
  config?: Partial<Omit<InitializeConfigParams, "admin" | "usdcMint" | "treasury" | "stakerPool" | "billingAuthority">>;
}

export interface TeamFixture {
  owner: Keypair;
  /** The owner's USDC token account. */
  ownerToken: PublicKey;
  team: PublicKey;
  vault: PublicKey;
}

export interface Deployment {
  svm: LiteSVM;
  provider: LiteSvmProvider;
  client: PrepaidBillingClient;
  programId: PublicKey;
  /** Config admin; also the provider's wallet (fee payer) and the USDC mint authority. */
  admin: Keypair;
  billingAuthority: Keypair;
  usdcMint: PublicKey;
  treasury: PublicKey;
  treasuryOwner: Keypair;
  stakerPool: PublicKey;
  stakerOwner: Keypair;
  settlement: SettlementAccounts;
  config: BillingConfig;
  /** A USDC token account for `owner` holding `amount` freshly minted base units. */
  fundWallet(owner: PublicKey, amount: bigint): Promise<PublicKey>;
  /** A new owner with SOL and `walletUsdc` (default 1,000 USDC), a team on `tier`, and `deposit` in its vault. */
  createTeam(options?: { tier?: number; walletUsdc?: bigint; deposit?: bigint; owner?: Keypair }): Promise<TeamFixture>;
  /** Token balance of any token account, base units. */
  balance(account: PublicKey): Promise<bigint>;
  team(owner: PublicKey): Promise<TeamBillingAccount>;
}

export async function initializeDeployment(options: DeploymentOptions = {}): Promise<Deployment> {
  const svm = options.svm ?? new LiteSVM();
  warpTo(svm, options.startTime ?? DEFAULT_START_TIME);
  const provider = new LiteSvmProvider(svm);
  const programId = options.upgradeable ? (await deployProgramUpgradeable(provider)).programId : loadProgram(provider);
  const client = new PrepaidBillingClient(provider, { programId });
  const admin = provider.payer;
  const billingAuthority = Keypair.generate();
  const treasuryOwner = Keypair.generate();
  const stakerOwner = Keypair.generate();

  const usdcMint = await createMint(provider, { decimals: 6 });
  const treasury = await createTokenAccount(provider, usdcMint, treasuryOwner.publicKey);
  const stakerPool = await createTokenAccount(provider, usdcMint, stakerOwner.publicKey);
  await client.initializeConfig({ ...options.config, admin: admin.publicKey, usdcMint, treasury, stakerPool, billingAuthority: billingAuthority.publicKey });
  const config = await client.fetchConfig();

  const fundWallet = async (owner: PublicKey, amount: bigint): Promise<PublicKey> => {
    const account = await createTokenAccount(provider, usdcMint, owner);
    if (amount > 0n) await mintTo(provider, usdcMint, account, amount);
    return account;
  };

  return {
    svm,
    provider,
    client,
    programId,
    admin,
    billingAuthority,
    usdcMint,
    treasury,
    treasuryOwner,
    stakerPool,
    stakerOwner,
    settlement: { treasury, stakerPool },
    config,
    fundWallet,
    async createTeam(o = {}) {
      const owner = o.owner ?? Keypair.generate();
      provider.airdrop(owner.publicKey, 10_000_000_000n);
      const ownerToken = await fundWallet(owner.publicKey, o.walletUsdc ?? 1_000n * USDC);
      await client.createTeamAccount({ owner, tier: o.tier ?? 0, usdcMint });
      if (o.deposit && o.deposit > 0n) {
        await client.depositFunds({ depositor: owner, depositorToken: ownerToken, teamOwner: owner.publicKey, amount: o.deposit });
      }
      return { owner, ownerToken, team: client.teamAddress(owner.publicKey), vault: client.vaultAddress(owner.publicKey) };
    },
    balance: (account) => tokenBalance(provider, account),
    team: (owner) => client.fetchTeam(owner),
  };
}
