// Journey 4: verifications made with curl show in the key's usage chart,
// in the project's analytics and in the CSV export. A project and a key
// with a rate limit (3 per 60 s) and an allowed domain are made in the
// browser; the real curl binary verifies the key: 3 successful, 2 failed
// (a foreign x-origin-domain) and 2 rate-limited. run.mjs flushes usage
// every second: the pages are reloaded until the numbers show.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { launch, session, signIn, visit, checkA11y, newProject, newKey, env, eventually, uniq } from "../lib.mjs";

let browser;
before(async () => (browser = await launch()));
after(() => browser && browser.close());

// POST /api-keys/auth/{key} with the real curl; answers the HTTP status.
function curlVerify(key, origin) {
  const args = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", `x-api-key: ${env.accessKey}`];
  if (origin) args.push("-H", `x-origin-domain: ${origin}`);
  args.push(`${env.url}/api-keys/auth/${encodeURIComponent(key)}`);
  return new Promise((resolve, reject) =>
    execFile("curl", args, { timeout: 30000 }, (err, stdout) => (err ? reject(err) : resolve(Number(stdout.trim())))),
  );
}

// The totals of a chart figure; app.js formats them in the browser's
// locale, so only the digits are read.
async function totals(figure) {
  const n = async (id) => Number((await figure.getByTestId(id).innerText()).replace(/\D/g, ""));
  return { successful: await n("successful"), failed: await n("failed"), rateLimited: await n("rate-limited"), total: await n("total") };
}

const want = { successful: 3, failed: 2, rateLimited: 2, total: 7 };

// Reloads until the chart's totals are want.
async function reloadUntilTotals(page, testid, what) {
  let last;
  await eventually(
    async () => {
      const fig = page.getByTestId(testid);
      last = await totals(fig);
      if (last.total === want.total) return true;
      await page.reload();
      return false;
    },
    { timeout: 45000, interval: 500, what: `${what} (last seen ${JSON.stringify(last)})` },
  );
  assert.deepEqual(last, want, what);
}

// A small CSV parser: quoted fields, doubled quotes, CRLF or LF.
function parseCSV(text) {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") row.push(field), (field = "");
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field), rows.push(row), (row = []), (field = "");
    } else field += c;
  }
  if (field !== "" || row.length) row.push(field), rows.push(row);
  return rows;
}

test("analytics: curl verifications in the key's chart, the project's analytics and the CSV export", { timeout: 240000 }, async () => {
  const s = await session(browser);
  const { page } = s;
  await signIn(page);

  const project = uniq("Usage");
  const keysPath = await newProject(page, project);
  const keyName = uniq("metered key");
  const key = await newKey(page, keysPath, keyName, {
    "Rate limit": "3",
    "Rate limit window (seconds)": "60",
    "Allowed domains": "good.example",
  });

  // 3 successful, 2 refused for their origin, 2 over the limit.
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push(await curlVerify(key, "good.example"));
  for (let i = 0; i < 2; i++) statuses.push(await curlVerify(key, "evil.example"));
  for (let i = 0; i < 2; i++) statuses.push(await curlVerify(key, "good.example"));
  assert.deepEqual(statuses, [200, 200, 200, 403, 403, 429, 429], "what curl got");

  // The key's page: "Usage", by day and by hour.
  await visit(page, keysPath, "keys");
  await page.getByRole("link", { name: keyName, exact: true }).click();
  await page.waitForURL(/\/ui\/keys\/[^/]+$/);
  await checkA11y(page, "key");
  const keyPath = new URL(page.url()).pathname;
  await page.getByRole("heading", { name: "Usage" }).waitFor();
  await page.goto(env.url + keyPath + "?by=day");
  await reloadUntilTotals(page, "usage-day", "the key's usage by day");
  await checkA11y(page, "key usage by day");
  assert.equal(await page.getByRole("link", { name: "By day" }).getAttribute("aria-current"), "true");
  // The switch shows the hourly chart (app.js, without a reload).
  await page.getByRole("link", { name: "By hour" }).click();
  await page.getByTestId("usage-hour").waitFor({ state: "visible" });
  assert.equal(await page.getByTestId("usage-day").isVisible(), false);
  assert.equal(await page.getByRole("link", { name: "By hour" }).getAttribute("aria-current"), "true");
  assert.deepEqual(await totals(page.getByTestId("usage-hour")), want, "the key's usage by hour");
  await checkA11y(page, "key usage by hour");
  // The numbers as a table, too.
  await page.getByTestId("usage-hour").getByText("Show the numbers as a table").click();
  assert.match(await page.getByTestId("usage-hour").locator("table").innerText(), /\b7\b/);

  // The project's analytics: totals and the most used keys.
  await page.getByRole("link", { name: "Project analytics and CSV export" }).click();
  await page.waitForURL(/\/analytics/);
  await checkA11y(page, "analytics");
  await reloadUntilTotals(page, "project-usage", "the project's usage");
  const top = page.getByTestId("top-keys").getByRole("row").filter({ hasText: keyName });
  assert.equal(await top.count(), 1, "the key is among the most used");
  const cells = (await top.getByRole("cell").allInnerTexts()).map((c) => c.trim());
  assert.deepEqual(cells.slice(-4).map((c) => Number(c.replace(/\D/g, ""))), [3, 2, 2, 7], `top-keys row ${cells}`);

  // By hour over the same range: the same totals.
  await page.getByLabel("Group by").selectOption({ label: "Hour" });
  await Promise.all([page.waitForURL(/by=hour/), page.getByRole("button", { name: "Show" }).click()]);
  await checkA11y(page, "analytics by hour");
  assert.deepEqual(await totals(page.getByTestId("project-usage")), want, "the project's usage by hour");

  // Export CSV: a download holding the key's counts.
  const [download] = await Promise.all([page.waitForEvent("download", { timeout: 30000 }), page.getByTestId("export-csv").click()]);
  assert.match(download.suggestedFilename(), /\.csv$/);
  const path = await download.path();
  const rows = parseCSV(await readFile(path, "utf8"));
  const head = rows[0];
  assert.deepEqual(head, ["projectId", "key", "name", "customAccountId", "customUserId", "period", "successful", "failed", "rateLimited", "total"]);
  const col = (name) => head.indexOf(name);
  const mine = rows.slice(1).filter((r) => r[col("key")] === key);
  assert.ok(mine.length >= 1, `a row for the key in the export:\n${rows.map((r) => r.join(",")).join("\n").replaceAll(key, "<key>")}`);
  for (const r of mine) assert.equal(r[col("name")], keyName);
  const sum = (c) => mine.reduce((a, r) => a + Number(r[col(c)]), 0);
  assert.deepEqual({ successful: sum("successful"), failed: sum("failed"), rateLimited: sum("rateLimited"), total: sum("total") }, want, "the export's counts");

  await s.close();
});
