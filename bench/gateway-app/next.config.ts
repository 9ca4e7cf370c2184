// The benchmark's Next.js app: the same verify handler as POST /api/v1/verify, once behind withBilling
// (/api/bench/gated) and once bare (/api/bench/ungated), so `npm run bench:gateway` measures the gate alone.
import path from "node:path";

const repoRoot = path.resolve(__dirname, "..", "..");

// Typed loosely on purpose: importing "next" here would pull Next's global types into the repository typecheck.
const config = {
  // The routes import the gateway and the paid handlers from the repository.
  turbopack: { root: repoRoot },
  outputFileTracingRoot: repoRoot,
  typescript: { ignoreBuildErrors: true }, // npm run typecheck covers these files
};

export default config;
