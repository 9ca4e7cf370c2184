// The dashboard in a real browser (Debian chromium through playwright-core) against npm start's stack
// (scripts/stack) on 127.0.0.1: local chain with the program deployed through the loader, ledger sidecar,
// faucet, and `next start` serving the dashboard and the gateway's paid API. Wallets are Wallet Standard test wallets whose keys
// stay in this process. The steps run in order, as one team's story; screenshots of each page go to
// artifacts/browser/ (git-ignored).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ed25519 } from "@noble/curves/ed25519";
import { Keypair } from "@solana/web3.js";
import { getBase58Decoder } from "@solana/kit";
import type { BrowserContext, Page } from "playwright-core";
import { pdfText } from "../../ledger/testing/pdf-text";
import { api } from "../../ledger/client";
import { launchChromium } from "./support/chromium";
import { fundFromFaucet, REPO_ROOT, startStack, type Stack } from "./support/stack";
import { installMockWallet, TEST_WALLET_NAME } from "./support/wallet";

const ARTIFACTS = path.join(REPO_ROOT, "artifacts", "browser");
const USDC = 1_000_000n;

describe("dashboard in a browser", function () {
  this.timeout(600_000);

  let stack: Stack;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let owner: Page;
  const ownerKey = Keypair.generate();
  const memberKey = Keypair.generate();
  let teamId = "";
  let apiKey = "";
  let invoiceId = "";
  /** Requests to hosts other than the stack's, seen by any page. */
  const external: string[] = [];

  /**
   * Waits until the streamed page is complete: React reveals each finished Suspense boundary by moving it
   * out of a hidden <div id="S:…">, briefly batched, so until then an element can exist twice.
   */
  async function settled(page: Page) {
    await page.waitForFunction(() => document.querySelector('div[hidden][id^="S:"]') === null && document.documentElement.dataset.hydratedAt !== undefined);
  }

  async function go(page: Page, url: string) {
    const response = await page.goto(url);
    await settled(page);
    return response;
  }

  async function shot(page: Page, name: string) {
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  }

  async function newWalletPage(keypair: Keypair): Promise<{ context: BrowserContext; page: Page }> {
    const context = await chromium.browser.newContext({ baseURL: stack.appUrl, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.on("request", (r) => {
      const url = new URL(r.url());
      if (!["127.0.0.1", "localhost"].includes(url.hostname) && url.protocol !== "data:") external.push(r.url());
    });
    await installMockWallet(page, keypair);
    return { context, page };
  }

  async function signIn(page: Page) {
    await page.goto("/");
    await page.waitForURL(/\/sign-in/);
    await page.getByRole("button", { name: /select wallet/i }).click();
    await page.getByRole("button", { name: new RegExp(TEST_WALLET_NAME) }).click();
    await page.getByTestId("sign-in").click();
  }

  async function vaultBalance(page: Page): Promise<string> {
    return (await page.getByTestId("vault-balance").textContent()) ?? "";
  }

  async function waitForBalance(page: Page, text: string) {
    await page.waitForFunction((t) => document.querySelector('[data-testid="vault-balance"]')?.textContent?.includes(t), text, { timeout: 30_000 });
  }

  async function deposit(page: Page, amount: string) {
    await page.getByTestId("deposit-amount").fill(amount);
    await page.getByTestId("deposit-submit").click();
    await page.getByTestId("deposit-card").getByTestId("action-done").waitFor({ timeout: 30_000 });
  }

  /** Requests and executes a withdrawal that leaves `leave` in the vault (the notice is 3 s in this stack). */
  async function withdrawDownTo(page: Page, current: bigint, leave: bigint) {
    const amount = current - leave;
    const card = page.getByTestId("withdrawal-card");
    await card.getByLabel(/Amount/).fill((Number(amount) / 1e6).toString());
    await card.getByRole("button", { name: /Request withdrawal|Replace request/ }).click();
    await card.getByTestId("action-done").waitFor({ timeout: 30_000 });
    await page.getByTestId("pending-withdrawal").waitFor();
    await page.waitForTimeout(3_500);
    await page.reload();
    await settled(page);
    await page.getByTestId("withdrawal-card").getByRole("button", { name: "Execute withdrawal" }).click();
    await page.getByTestId("withdrawal-card").getByTestId("action-done").waitFor({ timeout: 30_000 });
  }

  before(async function () {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    stack = await startStack({ log: (l) => console.log(`      ${l}`) });
    chromium = await launchChromium();
    await fundFromFaucet(stack, ownerKey.publicKey, 100n * USDC);
    await fundFromFaucet(stack, memberKey.publicKey, 10n * USDC);
    ({ page: owner } = await newWalletPage(ownerKey));
  });

  after(async function () {
    if (this.currentTest?.state === "failed" || process.env.DASHBOARD_TEST_LOG === "1") console.log(stack?.appOutput().slice(-6000));
    await chromium?.close();
    await stack?.stop();
  });

  it("signs in with a Wallet Standard wallet, sets up a team on chain, deposits 25 USDC and sees the balance change", async function () {
    await signIn(owner);
    await owner.waitForURL(/\/teams$/);
    await owner.getByLabel("Team name").fill("Acme");
    await owner.getByRole("button", { name: "Create team" }).click();
    await owner.waitForURL(/\/teams\/[a-z0-9]+$/);
    teamId = owner.url().split("/").pop() as string;
    await owner.getByRole("button", { name: "Create billing account" }).click();
    await owner.getByTestId("vault-balance").waitFor({ timeout: 30_000 });
    assert.equal(await vaultBalance(owner), "0.00 USDC");
    await deposit(owner, "25");
    await waitForBalance(owner, "25.00 USDC");
    assert.equal(await vaultBalance(owner), "25.00 USDC");
    await shot(owner, "01-overview-after-deposit");
  });

  it("becomes interactive on the overview within the target on localhost", async function () {
    const started = Date.now();
    await go(owner, `/teams/${teamId}`);
    await owner.waitForSelector("html[data-hydrated-at]");
    await owner.getByTestId("deposit-submit").waitFor();
    const wall = Date.now() - started;
    const hydratedAt = Number(await owner.evaluate(() => document.documentElement.dataset.hydratedAt));
    console.log(`      overview interactive: ${hydratedAt} ms after navigation start (${wall} ms wall clock, target 1500 ms)`);
    assert.ok(hydratedAt <= 1500, `the overview took ${hydratedAt} ms to become interactive`);
  });

  it("creates an API key that is shown once", async function () {
    await go(owner, `/teams/${teamId}/keys`);
    await owner.getByTestId("key-name").fill("server");
    await owner.getByTestId("create-key").click();
    apiKey = ((await owner.getByTestId("new-api-key").textContent()) ?? "").trim();
    assert.match(apiKey, /^pk_/);
    await shot(owner, "02-api-keys");
    await owner.reload();
    await settled(owner);
    assert.equal(await owner.getByTestId("new-api-key").count(), 0);
    assert.match((await owner.getByTestId("keys-table").textContent()) ?? "", /server/);
  });

  it("shows a paid request made with the key in usage after the settlement interval", async function () {
    // The first period's base fee (50 USDC) is due before any request can be paid: top up first.
    await go(owner, `/teams/${teamId}`);
    await deposit(owner, "40");
    await waitForBalance(owner, "65.00 USDC");
    const signer = Keypair.generate();
    const message = "hello";
    const signature = getBase58Decoder().decode(ed25519.sign(new TextEncoder().encode(message), signer.secretKey.slice(0, 32)));
    let response: Response | null = null;
    // The gate learns the new balance from chain within its poll interval.
    for (let i = 0; i < 40; i++) {
      response = await fetch(`${stack.appUrl}/api/v1/verify`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "x-user-id": ownerKey.publicKey.toBase58(), "content-type": "application/json" },
        body: JSON.stringify({ message, signature, publicKey: signer.publicKey.toBase58() }),
      });
      if (response.status === 200) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(response?.status, 200, `paid request answered ${response?.status}: ${await response?.text()}`);

    const deadline = Date.now() + 90_000;
    for (;;) {
      await go(owner, `/teams/${teamId}/usage?days=7`);
      const total = (await owner.getByTestId("usage-total-requests").textContent()) ?? "0";
      if (total.trim() === "1") break;
      assert.ok(Date.now() < deadline, "the request did not appear in usage within 90 s");
      await owner.waitForTimeout(2_000);
    }
    assert.match((await owner.getByTestId("endpoint-breakdown").textContent()) ?? "", /\/api\/v1\/verify/);
    await shot(owner, "03-usage");
  });

  it("lists the deposits and the settled batch in the history, and verify matches the chain", async function () {
    const deadline = Date.now() + 60_000;
    for (;;) {
      await go(owner, `/teams/${teamId}/history`);
      const kinds = await owner.locator("[data-kind]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-kind")));
      if (kinds.filter((k) => k === "funds.deposited").length === 2 && kinds.includes("usage.deducted")) break;
      assert.ok(Date.now() < deadline, `history incomplete: ${kinds.join(", ")}`);
      await owner.waitForTimeout(2_000);
    }
    await owner.getByTestId("verify-button").first().click();
    const result = owner.getByTestId("verify-result").first();
    await result.waitFor({ timeout: 30_000 });
    assert.equal(await result.getAttribute("data-matches"), "true", (await result.textContent()) ?? "");
    await shot(owner, "04-history");
  });

  it("downloads the history as CSV with the expected rows", async function () {
    const res = await owner.request.get(`/api/teams/${teamId}/history/csv`);
    assert.equal(res.status(), 200);
    assert.match(res.headers()["content-type"], /text\/csv/);
    assert.match(res.headers()["content-disposition"], /attachment; filename="billing-history-Acme-/);
    const lines = (await res.text()).trim().split("\r\n");
    assert.equal(lines[0], "time_utc,kind,amount_usdc,amount_base_units,balance_after_usdc,batch_seq,request_count,usage_root,signature,slot");
    const rows = lines.slice(1).map((l) => l.split(","));
    const deposits = rows.filter((r) => r[1] === "funds.deposited").map((r) => r[3]);
    assert.deepEqual(deposits.sort(), [(25n * USDC).toString(), (40n * USDC).toString()].sort());
    const usage = rows.filter((r) => r[1] === "usage.deducted");
    assert.equal(usage.length, 1);
    assert.equal(usage[0][6], "1", "request_count of the settled batch");
    assert.match(usage[0][7], /^[0-9a-f]{64}$/);
  });

  it("generates an invoice as the Owner and downloads its PDF, whose text holds the total", async function () {
    await go(owner, `/teams/${teamId}/invoices`);
    await owner.getByTestId("generate-invoice").getByRole("button").click();
    await owner.waitForURL(/\/invoices\/[a-z0-9]+$/);
    invoiceId = owner.url().split("/").pop() as string;
    const total = ((await owner.getByTestId("invoice-total").textContent()) ?? "").trim();
    assert.equal(total, "50.00 USDC", "the month's base fee");
    await shot(owner, "05-invoice");
    const pdf = await owner.request.get(`/api/teams/${teamId}/invoices/${invoiceId}/pdf`);
    assert.equal(pdf.status(), 200);
    assert.equal(pdf.headers()["content-type"], "application/pdf");
    const text = pdfText(Buffer.from(await pdf.body()));
    assert.ok(text.includes("50.00 USDC"), `the PDF does not show the total: ${text.slice(0, 400)}`);
  });

  it("invites a Member, who joins and is refused invoices and API keys by the server", async function () {
    await go(owner, `/teams/${teamId}/members`);
    await owner.getByTestId("invite-form").getByLabel("E-mail").fill("member@example.com");
    await owner.getByTestId("invite-form").getByRole("button").click();
    const link = ((await owner.getByTestId("invite-link").textContent()) ?? "").trim();
    assert.match(link, /\/invite\/inv_/);
    await shot(owner, "06-team");

    const { context, page: member } = await newWalletPage(memberKey);
    try {
      await member.goto(new URL(link).pathname);
      await member.waitForURL(/\/sign-in\?next=/);
      await member.getByRole("button", { name: /select wallet/i }).click();
      await member.getByRole("button", { name: new RegExp(TEST_WALLET_NAME) }).click();
      await member.getByTestId("sign-in").click();
      await member.getByTestId("accept-invite-button").click();
      await member.waitForURL(new RegExp(`/teams/${teamId}$`));
      await member.getByTestId("member-overview").waitFor();
      await shot(member, "07-member-overview");
      // The navigation does not offer them, and the server refuses them when asked directly.
      assert.equal(await member.getByRole("link", { name: "Invoices" }).count(), 0);
      for (const section of ["invoices", "keys", "usage", "history", "members"]) {
        const res = await go(member, `/teams/${teamId}/${section}`);
        assert.equal(res?.status(), 403, `${section} answered ${res?.status()}`);
        await member.getByTestId("forbidden").waitFor();
      }
      await shot(member, "08-member-forbidden");
      const pdf = await member.request.get(`/api/teams/${teamId}/invoices/${invoiceId}/pdf`);
      assert.equal(pdf.status(), 403);
      const csv = await member.request.get(`/api/teams/${teamId}/history/csv`);
      assert.equal(csv.status(), 403);
      const key = await member.request.post(`/api/teams/${teamId}/keys`, { data: { name: "sneaky" } });
      assert.equal(key.status(), 403);
      assert.equal((await key.json()).error.code, "forbidden");
      const members = await stack.ledger.as(ownerKey.publicKey.toBase58()).query(api.members.list, { teamId: teamId as never });
      assert.deepEqual(members.map((m) => m.role).sort(), ["member", "owner"]);

      // A wallet in several teams switches between them, staying in the same section.
      await go(member, "/teams");
      await member.getByLabel("Team name").fill("Beta");
      await member.getByRole("button", { name: "Create team" }).click();
      await member.waitForURL(/\/teams\/[a-z0-9]+$/);
      const betaId = member.url().split("/").pop() as string;
      await go(member, `/teams/${betaId}/keys`);
      await member.getByTestId("team-switcher").selectOption(teamId);
      await member.waitForURL(new RegExp(`/teams/${teamId}/keys$`));
      await member.getByTestId("forbidden").waitFor();
      await go(member, `/teams/${teamId}`);
      await member.getByTestId("team-switcher").selectOption(betaId);
      await member.waitForURL(new RegExp(`/teams/${betaId}$`));
      await member.getByTestId("create-account-card").waitFor();
      await shot(member, "09-team-switcher");
    } finally {
      await context.close();
    }
  });

  it("turns the low-balance banner orange below 10 USDC and red below 5 USDC", async function () {
    await go(owner, `/teams/${teamId}`);
    // 65 deposited, 50 base fee collected at the first settlement: 15 USDC, no banner.
    await waitForBalance(owner, "15.00 USDC");
    assert.equal(await owner.getByTestId("low-balance-banner").count(), 0);
    await withdrawDownTo(owner, 15n * USDC, 9_500_000n);
    await waitForBalance(owner, "9.50 USDC");
    assert.equal(await owner.getByTestId("low-balance-banner").getAttribute("data-level"), "warning");
    assert.match((await owner.getByTestId("low-balance-banner").getAttribute("class")) ?? "", /banner-orange/);
    await shot(owner, "10-banner-orange");
    await withdrawDownTo(owner, 9_500_000n, 4_000_000n);
    await waitForBalance(owner, "4.00 USDC");
    assert.equal(await owner.getByTestId("low-balance-banner").getAttribute("data-level"), "critical");
    assert.match((await owner.getByTestId("low-balance-banner").getAttribute("class")) ?? "", /banner-red/);
    await shot(owner, "11-banner-red");
  });

  it("shows the stakers' share of the base fee", async function () {
    await go(owner, "/stakers?days=7");
    assert.equal(((await owner.getByTestId("stakers-total").textContent()) ?? "").trim(), "5.00 USDC");
    await shot(owner, "12-stakers");
  });

  it("lets someone without a wallet try it with the local dev wallet, funded by the local faucet", async function () {
    const context = await chromium.browser.newContext({ baseURL: stack.appUrl, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.on("request", (r) => {
      if (!["127.0.0.1", "localhost"].includes(new URL(r.url()).hostname) && !r.url().startsWith("data:")) external.push(r.url());
    });
    try {
      await go(page, "/sign-in");
      await page.getByTestId("dev-wallet-hint").waitFor();
      await page.getByRole("button", { name: /select wallet/i }).click();
      await page.getByRole("button", { name: /Local dev wallet/ }).click();
      await page.getByTestId("sign-in").click();
      await page.waitForURL(/\/teams$/);
      await page.getByLabel("Team name").fill("Gamma");
      await page.getByRole("button", { name: "Create team" }).click();
      await page.waitForURL(/\/teams\/[a-z0-9]+$/);
      await page.getByRole("button", { name: "Create billing account" }).click();
      await page.getByTestId("vault-balance").waitFor({ timeout: 30_000 });
      assert.match((await page.getByTestId("deposit-card").textContent()) ?? "", /Your wallet holds 100\.00 USDC/);
      await deposit(page, "10");
      await waitForBalance(page, "10.00 USDC");
      await shot(page, "13-dev-wallet");
    } finally {
      await context.close();
    }
  });

  it("never requested a host other than the local stack", function () {
    assert.deepEqual(external, []);
  });
});
