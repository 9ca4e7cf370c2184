// Test support over litesvm: an anchor Provider, the program loaded directly or through the upgradeable
// loader, SPL token helpers, clock control and a ready deployment fixture. See tests/support/README.md.
export * from "./litesvm-provider";
export * from "./litesvm-errors";
export * from "./program";
export * from "./tokens";
export * from "./clock";
export * from "./deployment";
