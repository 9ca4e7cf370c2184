// Keypairs the stack keeps in its data directory (Solana CLI format: a JSON array of the 64 secret-key
// bytes), created on first use so a restarted stack signs as the same wallets.
import * as fs from "node:fs";
import * as path from "node:path";
import { Keypair } from "@solana/web3.js";

export function readKeypairFile(file: string): Keypair {
  const bytes: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
  if (!Array.isArray(bytes) || bytes.length !== 64 || !bytes.every((b) => Number.isInteger(b) && b >= 0 && b < 256)) {
    throw new Error(`${file} is not a keypair file (a JSON array of 64 bytes)`);
  }
  return Keypair.fromSecretKey(Uint8Array.from(bytes as number[]));
}

export function writeKeypairFile(file: string, keypair: Keypair): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(Array.from(keypair.secretKey)), { mode: 0o600 });
}

/** The keypair in `file`, generated and written there when the file does not exist yet. */
export function loadOrCreateKeypair(file: string): Keypair {
  if (fs.existsSync(file)) return readKeypairFile(file);
  const keypair = Keypair.generate();
  writeKeypairFile(file, keypair);
  return keypair;
}
