// base58 as the RPC uses it (signatures, addresses, blockhashes, instruction data), from @solana/kit's codec.
import { getBase58Decoder, getBase58Encoder } from "@solana/kit";

const toText = getBase58Decoder();
const toBytes = getBase58Encoder();

export function encodeBase58(bytes: Uint8Array): string {
  return toText.decode(bytes);
}

/** Throws on characters outside the base58 alphabet. */
export function decodeBase58(text: string): Uint8Array {
  return Uint8Array.from(toBytes.encode(text));
}
