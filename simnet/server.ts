// startSimnet: the local chain behind a Solana JSON-RPC endpoint (HTTP, default 127.0.0.1:8899) and its
// PubSub WebSocket (default the next port, 8900, as web3.js derives it; the HTTP port also accepts
// WebSocket upgrades). With a ledger directory the chain is rebuilt on start by replaying its journal.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { encodeBase58 } from "./base58";
import { Chain, identityOf, type JournalEntry } from "./chain";
import { handleJsonRpc } from "./jsonrpc";
import { PubSub } from "./pubsub";
import { rpcMethods } from "./rpc-methods";
import { LedgerStore } from "./store";

/** Largest request body, bytes (solana-validator's limit). */
export const MAX_REQUEST_BYTES = 50 * 1024;
/** Largest WebSocket message, bytes. */
const MAX_WS_MESSAGE_BYTES = 1024 * 1024;
/** How long an idle HTTP keep-alive connection is kept, milliseconds. */
const KEEP_ALIVE_MS = 65_000;
/** How often the head slot is saved, milliseconds. */
const HEAD_SAVE_MS = 5_000;

export interface SimnetOptions {
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** HTTP port; default 8899; 0 picks a free one. */
  port?: number;
  /** WebSocket port; default HTTP port + 1; 0 picks a free one. */
  wsPort?: number;
  /** Where the chain persists; null keeps it in memory only. Default null. */
  ledgerDir?: string | null;
  /** Start a new chain in ledgerDir. */
  reset?: boolean;
  /** Slot length, milliseconds; default 400. */
  slotMs?: number;
  /** Programs to load directly at start (as solana-test-validator's --bpf-program). */
  programs?: { programId: string; soPath: string }[];
  /** Operator log lines; default none. */
  log?: (line: string) => void;
}

export interface Simnet {
  chain: Chain;
  rpcUrl: string;
  wsUrl: string;
  port: number;
  wsPort: number;
  /** What the start replayed from the journal, and how long it took. */
  replay: { transactions: number; programs: number; diverged: number; ms: number };
  /** Live PubSub subscriptions, all sockets together. */
  pubsubSubscriptions(): number;
  close(): Promise<void>;
}

const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "POST, GET, OPTIONS",
  "access-control-allow-headers": "*",
  "access-control-max-age": "86400",
};

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startSimnet(options: SimnetOptions = {}): Promise<Simnet> {
  const host = options.host ?? "127.0.0.1";
  const log = options.log ?? (() => {});
  const store = options.ledgerDir ? LedgerStore.open(options.ledgerDir, { reset: options.reset }) : null;
  // Without a ledger directory the chain lives for one run: a fresh genesis each start.
  const genesis = store?.genesis ?? { hash: encodeBase58(randomBytes(32)), createdAt: Date.now() };
  const chain = new Chain({
    genesis,
    slotMs: options.slotMs,
    journal: store ? (e: JournalEntry) => store.append(e) : undefined,
    onTickError: (e) => log(`slot tick failed: ${e instanceof Error ? e.message : String(e)}`),
  });
  const cleanup: (() => void | Promise<void>)[] = [];

  try {
    const started = performance.now();
    let replay = { transactions: 0, programs: 0, diverged: 0, ms: 0 };
    if (store) {
      if (store.truncatedBytes > 0) log(`journal: cut ${store.truncatedBytes} bytes of a torn last line`);
      const entries = [...store.entries()];
      const result = chain.replay(entries);
      const lastSlot = entries.length ? entries[entries.length - 1].slot : 0n;
      const head = store.readHead() ?? 0n;
      chain.resumeAt((head > lastSlot ? head : lastSlot) + 1n);
      replay = { ...result, ms: Math.round(performance.now() - started) };
      if (result.diverged > 0) log(`replay: ${result.diverged} of ${result.transactions} transactions ended differently than recorded`);
    }
    for (const p of options.programs ?? []) {
      const loaded = chain.loadProgram(p.programId, fs.readFileSync(p.soPath));
      log(`program ${p.programId} ${loaded ? "loaded from" : "already holds"} ${p.soPath}`);
    }
    chain.start();
    cleanup.push(() => chain.stop());
    if (store) {
      const timer = setInterval(() => store.writeHead(chain.slot), HEAD_SAVE_MS);
      timer.unref();
      cleanup.push(() => clearInterval(timer));
    }

    const report = (method: string, error: unknown) => log(`internal error in ${method}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    const dispatch = rpcMethods(chain, { identity: identityOf(genesis) });
    const pubsub = new PubSub(chain, report);
    cleanup.push(() => pubsub.close());
    const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_MESSAGE_BYTES });
    wss.on("connection", (socket) => pubsub.attach(socket));
    const upgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on("error", () => socket.destroy());
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
    };

    const httpServer = http.createServer((req, res) => {
      if (req.method === "OPTIONS") {
        res.writeHead(204, CORS_HEADERS).end();
        return;
      }
      if (req.method === "GET" && (req.url === "/health" || req.url?.startsWith("/health?"))) {
        res.writeHead(200, { ...CORS_HEADERS, "content-type": "text/plain" }).end("ok");
        return;
      }
      if (req.method !== "POST") {
        res.writeHead(405, { ...CORS_HEADERS, allow: "POST, GET, OPTIONS" }).end();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let refused = false;
      req.on("data", (chunk: Buffer) => {
        if (refused) return;
        size += chunk.length;
        if (size > MAX_REQUEST_BYTES) {
          refused = true;
          res.writeHead(413, { ...CORS_HEADERS, connection: "close" }).end();
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      req.on("error", () => res.destroy());
      req.on("end", () => {
        if (refused) return;
        let body: string | null;
        try {
          body = handleJsonRpc(Buffer.concat(chunks).toString("utf8"), dispatch, report);
        } catch (e) {
          report("http", e);
          res.writeHead(500, CORS_HEADERS).end();
          return;
        }
        res.writeHead(200, { ...CORS_HEADERS, "content-type": "application/json" }).end(body ?? "");
      });
    });
    // Idle keep-alive connections stay open longer than clients keep them pooled (undici 4 s, agentkeepalive
    // 15 s): a server closing one first races the client's next request on it (ECONNRESET).
    httpServer.keepAliveTimeout = KEEP_ALIVE_MS;
    httpServer.headersTimeout = KEEP_ALIVE_MS + 1_000;
    httpServer.on("upgrade", upgrade);
    httpServer.on("clientError", (_err, socket) => socket.destroy());
    const port = await listen(httpServer, options.port ?? 8899, host);
    cleanup.push(() => closeServer(httpServer));

    // The PubSub port answers WebSocket upgrades only.
    const wsServer = http.createServer((_req, res) => res.writeHead(426, { "content-type": "text/plain" }).end("WebSocket only"));
    wsServer.on("upgrade", upgrade);
    wsServer.on("clientError", (_err, socket) => socket.destroy());
    const wsPort = await listen(wsServer, options.wsPort ?? port + 1, host);
    cleanup.push(() => closeServer(wsServer));
    cleanup.push(
      () =>
        new Promise<void>((resolve) => {
          for (const client of wss.clients) client.terminate();
          wss.close(() => resolve());
        }),
    );

    const urlHost = host.includes(":") ? `[${host}]` : host;
    let closed = false;
    return {
      chain,
      rpcUrl: `http://${urlHost}:${port}`,
      wsUrl: `ws://${urlHost}:${wsPort}`,
      port,
      wsPort,
      replay,
      pubsubSubscriptions: () => pubsub.subscriptionCount,
      async close() {
        if (closed) return;
        closed = true;
        for (const step of cleanup.reverse()) await step();
        if (store) {
          store.writeHead(chain.slot);
          store.close();
        }
      },
    };
  } catch (e) {
    for (const step of cleanup.reverse()) await step();
    store?.close();
    throw e;
  }
}
