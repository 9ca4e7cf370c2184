// Instructions in the RPC's jsonParsed form, as solana-validator renders them for the programs wallets and
// explorers read: System (transfers, account creation), SPL Token / Token-2022 (the common instructions),
// Associated Token Account and Memo. Any other instruction (and any this module does not know) is
// "partially decoded": { programId, accounts, data (base58) }.
import { encodeBase58 } from "./base58";
import { TOKEN_2022_PROGRAM, TOKEN_PROGRAM, uiTokenAmount } from "./accounts";

const SYSTEM_PROGRAM = "11111111111111111111111111111111";
const ATA_PROGRAM = "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL";
const MEMO_PROGRAMS = new Set(["MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr", "Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo"]);

export type ParsedInstruction =
  | { program: string; programId: string; parsed: unknown; stackHeight: number | null }
  | { programId: string; accounts: string[]; data: string; stackHeight: number | null };

/** Reads little-endian fields one after another; any read past the end throws (and parsing falls back). */
class Reader {
  private offset = 0;
  private readonly view: DataView;
  constructor(private readonly data: Uint8Array) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }
  private need(n: number): void {
    if (this.offset + n > this.data.length) throw new RangeError("instruction data too short");
  }
  u8(): number {
    this.need(1);
    return this.data[this.offset++];
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.offset, true);
    this.offset += 8;
    return v;
  }
  key(): string {
    this.need(32);
    const v = encodeBase58(this.data.subarray(this.offset, this.offset + 32));
    this.offset += 32;
    return v;
  }
  /** A bincode String: u64 length then UTF-8 bytes. */
  string(): string {
    const len = Number(this.u64());
    this.need(len);
    const v = Buffer.from(this.data.subarray(this.offset, this.offset + len)).toString("utf8");
    this.offset += len;
    return v;
  }
}

type Parsed = { type: string; info: Record<string, unknown> } | null;

function at(accounts: string[], i: number): string {
  const a = accounts[i];
  if (a === undefined) throw new RangeError("missing account");
  return a;
}

function parseSystem(data: Uint8Array, accounts: string[]): Parsed {
  const r = new Reader(data);
  switch (r.u32()) {
    case 0:
      return { type: "createAccount", info: { source: at(accounts, 0), newAccount: at(accounts, 1), lamports: r.u64(), space: r.u64(), owner: r.key() } };
    case 1:
      return { type: "assign", info: { account: at(accounts, 0), owner: r.key() } };
    case 2:
      return { type: "transfer", info: { source: at(accounts, 0), destination: at(accounts, 1), lamports: r.u64() } };
    case 3: {
      const base = r.key();
      const seed = r.string();
      return {
        type: "createAccountWithSeed",
        info: { source: at(accounts, 0), newAccount: at(accounts, 1), base, seed, lamports: r.u64(), space: r.u64(), owner: r.key() },
      };
    }
    case 4:
      return { type: "advanceNonce", info: { nonceAccount: at(accounts, 0), recentBlockhashesSysvar: at(accounts, 1), nonceAuthority: at(accounts, 2) } };
    case 8:
      return { type: "allocate", info: { account: at(accounts, 0), space: r.u64() } };
    case 11: {
      const lamports = r.u64();
      const sourceSeed = r.string();
      const sourceOwner = r.key();
      return { type: "transferWithSeed", info: { source: at(accounts, 0), sourceBase: at(accounts, 1), destination: at(accounts, 2), lamports, sourceSeed, sourceOwner } };
    }
    default:
      return null;
  }
}

/** COption<Pubkey> in token instructions: a one-byte tag then 32 bytes. */
function optionalKey(r: Reader): string | null {
  return r.u8() === 1 ? r.key() : null;
}

function parseToken(data: Uint8Array, accounts: string[]): Parsed {
  const r = new Reader(data);
  switch (r.u8()) {
    case 0:
    case 20: {
      const checked = data[0] === 20;
      const decimals = r.u8();
      const mintAuthority = r.key();
      const freezeAuthority = optionalKey(r);
      const info: Record<string, unknown> = { mint: at(accounts, 0), decimals, mintAuthority };
      if (freezeAuthority) info.freezeAuthority = freezeAuthority;
      if (!checked) info.rentSysvar = at(accounts, 1);
      return { type: checked ? "initializeMint2" : "initializeMint", info };
    }
    case 1:
      return { type: "initializeAccount", info: { account: at(accounts, 0), mint: at(accounts, 1), owner: at(accounts, 2), rentSysvar: at(accounts, 3) } };
    case 16:
      return { type: "initializeAccount2", info: { account: at(accounts, 0), mint: at(accounts, 1), owner: r.key(), rentSysvar: at(accounts, 2) } };
    case 18:
      return { type: "initializeAccount3", info: { account: at(accounts, 0), mint: at(accounts, 1), owner: r.key() } };
    case 3:
      return { type: "transfer", info: { source: at(accounts, 0), destination: at(accounts, 1), authority: at(accounts, 2), amount: r.u64().toString() } };
    case 4:
      return { type: "approve", info: { source: at(accounts, 0), delegate: at(accounts, 1), owner: at(accounts, 2), amount: r.u64().toString() } };
    case 5:
      return { type: "revoke", info: { source: at(accounts, 0), owner: at(accounts, 1) } };
    case 7:
      return { type: "mintTo", info: { mint: at(accounts, 0), account: at(accounts, 1), mintAuthority: at(accounts, 2), amount: r.u64().toString() } };
    case 8:
      return { type: "burn", info: { account: at(accounts, 0), mint: at(accounts, 1), authority: at(accounts, 2), amount: r.u64().toString() } };
    case 9:
      return { type: "closeAccount", info: { account: at(accounts, 0), destination: at(accounts, 1), owner: at(accounts, 2) } };
    case 12: {
      const amount = r.u64();
      const decimals = r.u8();
      return {
        type: "transferChecked",
        info: { source: at(accounts, 0), mint: at(accounts, 1), destination: at(accounts, 2), authority: at(accounts, 3), tokenAmount: uiTokenAmount(amount, decimals) },
      };
    }
    case 14: {
      const amount = r.u64();
      const decimals = r.u8();
      return { type: "mintToChecked", info: { mint: at(accounts, 0), account: at(accounts, 1), mintAuthority: at(accounts, 2), tokenAmount: uiTokenAmount(amount, decimals) } };
    }
    case 15: {
      const amount = r.u64();
      const decimals = r.u8();
      return { type: "burnChecked", info: { account: at(accounts, 0), mint: at(accounts, 1), authority: at(accounts, 2), tokenAmount: uiTokenAmount(amount, decimals) } };
    }
    case 17:
      return { type: "syncNative", info: { account: at(accounts, 0) } };
    default:
      return null;
  }
}

function parseAta(data: Uint8Array, accounts: string[]): Parsed {
  const kind = data.length === 0 ? 0 : data[0];
  if (kind > 1) return null;
  return {
    type: kind === 0 ? "create" : "createIdempotent",
    info: {
      source: at(accounts, 0),
      account: at(accounts, 1),
      wallet: at(accounts, 2),
      mint: at(accounts, 3),
      systemProgram: at(accounts, 4),
      tokenProgram: at(accounts, 5),
    },
  };
}

/** One instruction in jsonParsed form; `accounts` are the instruction's account addresses in order. */
export function parseInstruction(programId: string, accounts: string[], data: Uint8Array, stackHeight: number | null): ParsedInstruction {
  const raw = (): ParsedInstruction => ({ programId, accounts, data: encodeBase58(data), stackHeight });
  try {
    if (MEMO_PROGRAMS.has(programId)) {
      return { program: "spl-memo", programId, parsed: Buffer.from(data).toString("utf8"), stackHeight };
    }
    let program: string;
    let parsed: Parsed;
    if (programId === SYSTEM_PROGRAM) {
      program = "system";
      parsed = parseSystem(data, accounts);
    } else if (programId === TOKEN_PROGRAM || programId === TOKEN_2022_PROGRAM) {
      program = programId === TOKEN_PROGRAM ? "spl-token" : "spl-token-2022";
      parsed = parseToken(data, accounts);
    } else if (programId === ATA_PROGRAM) {
      program = "spl-associated-token-account";
      parsed = parseAta(data, accounts);
    } else {
      return raw();
    }
    return parsed ? { program, programId, parsed, stackHeight } : raw();
  } catch {
    return raw();
  }
}
