// The browser's calls to the dashboard's own routes: JSON in, JSON out, failures as ApiError carrying the
// server's words (lib/errors.ts) so components can show them as they are.
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly detail: string | undefined;
  constructor(code: string, status: number, message: string, detail?: string) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.detail = detail;
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? undefined : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError("network", 0, "Could not reach the dashboard. Check your connection and try again.");
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string; detail?: string } } | null)?.error;
    throw new ApiError(
      error?.code ?? "internal",
      response.status,
      error?.message ?? "Something went wrong on our side. Try again in a moment.",
      error?.detail,
    );
  }
  return parsed as T;
}

export const apiGet = <T>(path: string) => call<T>("GET", path);
export const apiPost = <T>(path: string, body: unknown = {}) => call<T>("POST", path, body);
export const apiPatch = <T>(path: string, body: unknown) => call<T>("PATCH", path, body);
export const apiDelete = <T>(path: string, body?: unknown) => call<T>("DELETE", path, body);

/** Words for any error a component caught (ours, a wallet's, or something unexpected). */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) {
    const name = error.name;
    if (name === "WalletSignTransactionError" || name === "WalletSignMessageError") {
      return /reject|denied|cancel/i.test(error.message) ? "You declined the request in your wallet." : "Your wallet could not sign this. Try again.";
    }
    if (name === "WalletNotConnectedError") return "Connect your wallet first.";
    if (name === "WalletConnectionError") return "Your wallet did not connect. Try again.";
    if (/reject|denied|cancel/i.test(error.message)) return "You declined the request in your wallet.";
  }
  return "Something went wrong. Try again.";
}
