/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";
import type * as alerts from "../alerts.js";
import type * as analytics from "../analytics.js";
import type * as apiKeys from "../apiKeys.js";
import type * as audit from "../audit.js";
import type * as chain from "../chain.js";
import type * as crons from "../crons.js";
import type * as http from "../http.js";
import type * as invitations from "../invitations.js";
import type * as invoices from "../invoices.js";
import type * as leases from "../leases.js";
import type * as members from "../members.js";
import type * as model_alerts from "../model/alerts.js";
import type * as model_analytics from "../model/analytics.js";
import type * as model_apiKeys from "../model/apiKeys.js";
import type * as model_audit from "../model/audit.js";
import type * as model_auth from "../model/auth.js";
import type * as model_chain from "../model/chain.js";
import type * as model_chainEventShapes from "../model/chainEventShapes.js";
import type * as model_crypto from "../model/crypto.js";
import type * as model_errors from "../model/errors.js";
import type * as model_format from "../model/format.js";
import type * as model_invitations from "../model/invitations.js";
import type * as model_invoices from "../model/invoices.js";
import type * as model_leases from "../model/leases.js";
import type * as model_members from "../model/members.js";
import type * as model_periods from "../model/periods.js";
import type * as model_roles from "../model/roles.js";
import type * as model_teams from "../model/teams.js";
import type * as model_tiers from "../model/tiers.js";
import type * as model_usage from "../model/usage.js";
import type * as model_usagePage from "../model/usagePage.js";
import type * as model_usageTally from "../model/usageTally.js";
import type * as model_validators from "../model/validators.js";
import type * as model_writeCounter from "../model/writeCounter.js";
import type * as teams from "../teams.js";
import type * as usage from "../usage.js";

/**
 * A utility for referencing Convex functions in your app's API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
declare const fullApi: ApiFromModules<{
  alerts: typeof alerts;
  analytics: typeof analytics;
  apiKeys: typeof apiKeys;
  audit: typeof audit;
  chain: typeof chain;
  crons: typeof crons;
  http: typeof http;
  invitations: typeof invitations;
  invoices: typeof invoices;
  leases: typeof leases;
  members: typeof members;
  "model/alerts": typeof model_alerts;
  "model/analytics": typeof model_analytics;
  "model/apiKeys": typeof model_apiKeys;
  "model/audit": typeof model_audit;
  "model/auth": typeof model_auth;
  "model/chain": typeof model_chain;
  "model/chainEventShapes": typeof model_chainEventShapes;
  "model/crypto": typeof model_crypto;
  "model/errors": typeof model_errors;
  "model/format": typeof model_format;
  "model/invitations": typeof model_invitations;
  "model/invoices": typeof model_invoices;
  "model/leases": typeof model_leases;
  "model/members": typeof model_members;
  "model/periods": typeof model_periods;
  "model/roles": typeof model_roles;
  "model/teams": typeof model_teams;
  "model/tiers": typeof model_tiers;
  "model/usage": typeof model_usage;
  "model/usagePage": typeof model_usagePage;
  "model/usageTally": typeof model_usageTally;
  "model/validators": typeof model_validators;
  "model/writeCounter": typeof model_writeCounter;
  teams: typeof teams;
  usage: typeof usage;
}>;
export declare const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
>;
export declare const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
>;
