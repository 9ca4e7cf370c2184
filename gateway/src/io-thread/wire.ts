// What the settler's chain calls carry across the thread boundary: instructions and batch plans with their
// public keys as base58 and their data as bytes (a web3.js object does not survive structured cloning).
import { PublicKey, TransactionInstruction } from "@solana/web3.js";
import type { TeamBatchPlan } from "../chain/settlement-chain";

export interface WireInstruction {
  programId: string;
  keys: { pubkey: string; isSigner: boolean; isWritable: boolean }[];
  data: Uint8Array;
}

export type WirePlan = Omit<TeamBatchPlan, "teamOwner"> & { teamOwner: string };

export function instructionToWire(ix: TransactionInstruction): WireInstruction {
  return {
    programId: ix.programId.toBase58(),
    keys: ix.keys.map((k) => ({ pubkey: k.pubkey.toBase58(), isSigner: k.isSigner, isWritable: k.isWritable })),
    data: Uint8Array.from(ix.data),
  };
}

export function instructionFromWire(w: WireInstruction): TransactionInstruction {
  return new TransactionInstruction({
    programId: new PublicKey(w.programId),
    keys: w.keys.map((k) => ({ pubkey: new PublicKey(k.pubkey), isSigner: k.isSigner, isWritable: k.isWritable })),
    data: Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength),
  });
}

export const planToWire = (p: TeamBatchPlan): WirePlan => ({ ...p, teamOwner: p.teamOwner.toBase58() });
export const planFromWire = (p: WirePlan): TeamBatchPlan => ({ ...p, teamOwner: new PublicKey(p.teamOwner) });
