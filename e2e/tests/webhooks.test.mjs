// Journey 2: a webhook to a local receiver. Created in the browser for a
// project of its own → "Send test" shows the receiver's 204 and the time →
// the delivery is in the log, signed as the contract says → the receiver
// fails → an api-key.created delivery shows Retrying with HTTP 500 and the
// error → the receiver recovers → Retry → Delivered, and the receiver got
// the same event again. run.mjs starts keyway with a retry base of 1 h, so
// nothing but the Retry button sends the failed delivery again.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { launch, session, signIn, visit, checkA11y, newProject, newKey, env, eventually, uniq } from "../lib.mjs";

let browser;
before(async () => (browser = await launch()));
after(() => browser && browser.close());

// An HTTP receiver on 127.0.0.1 that records every request and answers
// 204, or 500 while fail is set.
async function startReceiver() {
  const r = { requests: [], fail: false };
  r.server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let json = null;
      try {
        json = JSON.parse(body);
      } catch {}
      const status = r.fail ? 500 : 204;
      r.requests.push({ method: req.method, path: req.url, headers: req.headers, body, json, status });
      res.writeHead(status).end();
    });
  });
  await new Promise((resolve) => r.server.listen(0, "127.0.0.1", resolve));
  r.url = `http://127.0.0.1:${r.server.address().port}/hook`;
  r.close = () => new Promise((resolve) => r.server.close(resolve));
  return r;
}

// Standard Webhooks: v1,<base64 HMAC-SHA256 of "id.timestamp.body"> keyed
// with the base64 after whsec_.
function signatureOf(secret, id, timestamp, body) {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  return "v1," + createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
}

// Reloads the current page until fn(page) is truthy.
async function reloadUntil(page, fn, what, timeout = 30000) {
  return eventually(
    async () => {
      if (await fn()) return true;
      await page.reload();
      return false;
    },
    { timeout, interval: 300, what },
  );
}

test("webhooks: send test, delivery log, failure, retry", { timeout: 180000 }, async (t) => {
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  const s = await session(browser);
  const { page } = s;
  await signIn(page);

  // A project of its own, so only its events reach this webhook.
  const project = uniq("Hooked");
  const keysPath = await newProject(page, project);

  await visit(page, "/ui/webhooks", "webhooks");
  await page.getByRole("link", { name: "New webhook" }).click();
  await page.waitForURL(/\/ui\/webhooks\/new/);
  await checkA11y(page, "new webhook");
  const hookName = uniq("receiver");
  await page.getByLabel("Name", { exact: true }).fill(hookName);
  await page.getByLabel("URL", { exact: true }).fill(receiver.url);
  await page.getByLabel("Scope", { exact: true }).selectOption({ label: `${project} (live)` });
  await page.getByLabel("api-key.created", { exact: true }).check();
  await page.getByLabel("Active", { exact: true }).check();
  await Promise.all([page.waitForURL(/\/ui\/webhooks\/[^/]+$/), page.getByRole("button", { name: "Create webhook" }).click()]);
  await checkA11y(page, "webhook");
  const hookPath = new URL(page.url()).pathname;
  assert.equal(await page.getByRole("heading", { level: 1 }).innerText(), hookName);
  assert.match(await page.locator("main").innerText(), /No deliveries yet/);

  // Send test: the answer page shows the receiver's status and the time.
  await page.getByRole("button", { name: "Send test" }).click();
  const result = page.getByTestId("test-result");
  await result.waitFor({ timeout: 30000 });
  await checkA11y(page, "test sent");
  assert.equal((await page.getByTestId("test-status").innerText()).trim(), "204");
  const heading = await result.getByRole("heading").innerText();
  assert.match(heading, /^Test sent \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\+00:00$/);
  const sentAt = Date.parse(await result.getByRole("heading").locator("time").getAttribute("datetime"));
  assert.ok(Math.abs(sentAt - Date.now()) < 5 * 60 * 1000, `the test time ${heading} is now`);

  // The receiver got it, signed as the contract names.
  const ping = await eventually(() => receiver.requests.find((q) => q.json && q.json.topic === "webhook.test"), { what: "the test at the receiver" });
  assert.equal(ping.method, "POST");
  assert.equal(ping.status, 204);
  for (const h of ["webhook-id", "webhook-timestamp", "webhook-signature", "theauthapi-signature"]) {
    assert.ok(ping.headers[h], `the receiver got the ${h} header`);
  }
  assert.match(ping.headers["webhook-signature"], /^v1,[A-Za-z0-9+/=]+/);

  // The delivery log holds the test, delivered.
  await page.goto(env.url + hookPath);
  await checkA11y(page, "webhook with a delivery");
  const log = page.getByTestId("deliveries");
  const testRow = log.getByTestId("delivery").filter({ hasText: "webhook.test" });
  await reloadUntil(page, async () => (await testRow.count()) === 1 && (await testRow.getAttribute("data-state")) === "delivered", "the test delivered in the log");
  assert.match(await testRow.innerText(), /Delivered/);
  assert.match(await testRow.innerText(), /HTTP 204/);
  assert.match(await testRow.innerText(), new RegExp(ping.json.id));

  // Reveal the secret (a POST answer): the signature verifies with it.
  await page.getByRole("button", { name: "Reveal secret" }).click();
  const secretCode = page.getByTestId("webhook-secret");
  await secretCode.waitFor();
  await checkA11y(page, "webhook secret");
  const secret = (await secretCode.innerText()).trim();
  assert.match(secret, /^whsec_/);
  assert.equal(ping.headers["theauthapi-signature"], secret);
  const want = signatureOf(secret, ping.headers["webhook-id"], ping.headers["webhook-timestamp"], ping.body);
  assert.ok(ping.headers["webhook-signature"].split(" ").includes(want), `webhook-signature ${ping.headers["webhook-signature"]} verifies with the secret`);
  assert.equal(ping.headers["webhook-id"], ping.json.id);

  // The receiver fails; an event of the webhook's topic happens.
  receiver.fail = true;
  await newKey(page, keysPath, uniq("hooked key"));
  const failed = await eventually(() => receiver.requests.find((q) => q.json && q.json.topic === "api-key.created"), { timeout: 30000, what: "api-key.created at the receiver" });
  assert.equal(failed.status, 500);
  await page.goto(env.url + hookPath);
  const row = page.getByTestId("deliveries").getByTestId("delivery").filter({ hasText: "api-key.created" });
  await reloadUntil(page, async () => (await row.count()) === 1 && /HTTP 500/.test(await row.innerText()), "the failed delivery in the log");
  await checkA11y(page, "webhook with a failed delivery");
  const failedText = await row.innerText();
  assert.match(failedText, /Retrying/);
  assert.match(failedText, /answered 500/);
  assert.match(failedText, new RegExp(failed.json.id));
  assert.equal(await row.getAttribute("data-state"), "pending");

  // The delivery's own page lists the attempt.
  await row.getByRole("link", { name: "api-key.created" }).click();
  await page.waitForURL(/\/deliveries\/[^/]+$/);
  await checkA11y(page, "delivery");
  assert.match(await page.getByTestId("delivery-state").innerText(), /Retrying/);
  assert.match(await page.getByTestId("attempts").innerText(), /HTTP 500/);

  // The receiver recovers; Retry sends it again at once (the backoff is 1 h).
  receiver.fail = false;
  const before = receiver.requests.length;
  await page.goto(env.url + hookPath);
  await checkA11y(page, "webhook");
  await Promise.all([
    page.waitForURL((u) => u.pathname === hookPath),
    row.getByRole("button", { name: `Retry delivery of api-key.created event ${failed.json.id}` }).click(),
  ]);
  await checkA11y(page, "webhook after retry");
  await reloadUntil(page, async () => (await row.getAttribute("data-state")) === "delivered", "the retried delivery delivered");
  const deliveredText = await row.innerText();
  assert.match(deliveredText, /Delivered/);
  assert.match(deliveredText, /HTTP 204/);
  assert.equal(await row.getByRole("button", { name: /^Retry/ }).count(), 0, "a delivered row has no Retry");

  // The receiver got the same event again, answered 204.
  const again = receiver.requests.slice(before).filter((q) => q.json && q.json.id === failed.json.id);
  assert.equal(again.length, 1, "the retried event reached the receiver once");
  assert.equal(again[0].status, 204);
  assert.equal(again[0].headers["webhook-id"], failed.json.id);
  assert.ok(again[0].headers["webhook-signature"].split(" ").includes(signatureOf(secret, again[0].headers["webhook-id"], again[0].headers["webhook-timestamp"], again[0].body)));

  await s.close();
});
