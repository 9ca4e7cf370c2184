// Ports and readiness on 127.0.0.1: every server of the stack binds there only.
import * as net from "node:net";
import type { Child } from "./children";
import { StackError } from "./errors";

export const HOST = "127.0.0.1";

/** A port nobody listens on right now (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A free port whose next port is free too: web3.js derives a cluster's PubSub URL from its RPC URL as
 * port + 1, so a local chain on free ports must keep that pairing for clients given only the RPC URL.
 */
export async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort();
    if (port >= 65535) continue;
    try {
      await claimPort(port + 1, "probe");
      return port;
    } catch {
      // taken: try another
    }
  }
  throw new StackError("port_in_use", "no two adjacent free ports found on 127.0.0.1");
}

/** `port` itself, checked free; 0 → a free port. Throws `port_in_use` naming `what` otherwise. */
export async function claimPort(port: number, what: string): Promise<number> {
  if (port === 0) return freePort();
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        err.code === "EADDRINUSE"
          ? new StackError("port_in_use", `${what}: port ${port} on ${HOST} is in use (another npm start still running?)`)
          : err,
      ),
    );
    server.listen(port, HOST, () => server.close(() => resolve()));
  });
  return port;
}

/** Polls `url` until it answers below 500; fails early when `child` exits. */
export async function waitForHttp(url: string, timeoutMs: number, child: Child): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exited()) throw new StackError("child_exited", `${child.name} exited before answering ${url}:\n${child.output().trim()}`);
    try {
      const res = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new StackError("start_timeout", `${url} did not answer within ${timeoutMs} ms:\n${child.output().trim()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
