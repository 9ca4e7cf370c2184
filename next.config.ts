import type { NextConfig } from "next";

const config: NextConfig = {
  // Tests build into their own directory (NEXT_DIST_DIR) so they never clash with a running `next start`.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  // The repository's tsconfig.json serves the Node packages (sdk, ledger, gateway…); the app has its own,
  // which Next may rewrite without touching theirs.
  typescript: { tsconfigPath: "tsconfig.app.json" },
  // pdfkit reads its font metrics from its package directory at run time; anchor and web3.js are large
  // CommonJS packages that need no bundling on the server.
  serverExternalPackages: ["pdfkit", "@coral-xyz/anchor", "@solana/web3.js", "@solana/spl-token"],
  // forbidden() answers 403 with app/forbidden.tsx when a role may not open a page.
  experimental: { authInterrupts: true },
  poweredByHeader: false,
  reactStrictMode: true,
  images: { unoptimized: true },
};

export default config;
