// `npm test`: everything the project checks, in an order where each step's prerequisites exist.
// Run through scripts/bootstrap.cjs, which has already made node_modules match package-lock.json.
import { npmRun, runSteps } from "./lib/steps";

runSteps([
  npmRun("build:program"), // installs Debian compilers and the toolchain cache on a fresh machine
  npmRun("typecheck"),
  npmRun("test:rust"),
  npmRun("test:ts"),
]);
