// @prepaid-billing/sdk: the TypeScript client of the prepaid_billing program.
export * from "./constants";
export * from "./errors";
export * from "./pdas";
export * from "./pricing";
export * from "./receipts";
export * from "./accounts";
export * from "./events";
export * from "./client";
export * from "./format";
export { IDL, IDL_JSON, type PrepaidBilling } from "./idl";
