// Helpers every browser test uses. run.mjs sets the environment; see
// README.md for the list. Each test file starts its own chromium with
// launch(), opens sessions with session(), and checks every page it
// visits with checkA11y().
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests with node e2e/run.mjs`);
  return v;
}

// What run.mjs exported.
export const env = {
  get url() { return need("KEYWAY_E2E_URL"); },
  get setupURL() { return need("KEYWAY_E2E_SETUP_URL"); },
  get accessKey() { return need("KEYWAY_E2E_ACCESS_KEY"); },
  get mailURL() { return need("KEYWAY_E2E_MAIL_URL"); },
  get db() { return process.env.KEYWAY_E2E_DB || "sqlite"; },
  get admin() {
    return { email: need("KEYWAY_E2E_ADMIN_EMAIL"), password: need("KEYWAY_E2E_ADMIN_PASSWORD"), name: need("KEYWAY_E2E_ADMIN_NAME") };
  },
  get screenshots() { return process.env.E2E_SCREENSHOTS === "1"; },
};

// The same flags the machine notes give; Playwright adds --headless and a
// fresh, empty profile directory of its own to every launch.
export const chromiumFlags = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export async function launch() {
  return chromium.launch({
    executablePath: process.env.KEYWAY_E2E_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: chromiumFlags,
  });
}

export const viewports = { wide: { width: 1440, height: 900 }, narrow: { width: 375, height: 800 } };

// A fresh context (its own cookies) and page. scheme: "light" | "dark";
// size: "wide" (1440x900) | "narrow" (375x800). Every /ui/ document it
// loads must carry a CSP with frame-ancestors 'none'; a dialog, a page
// error or a console error is a problem; every /ui/ page shown must go
// through checkA11y. close() fails the test on any of those.
// storageState (from context.storageState()) reuses another session's
// cookies, i.e. its sign-in.
export async function session(browser, { scheme = "light", size = "wide", clipboard = false, storageState } = {}) {
  const context = await browser.newContext({ colorScheme: scheme, viewport: viewports[size], locale: "en-GB", storageState });
  if (clipboard) await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: env.url });
  const page = await context.newPage();
  const s = { browser, context, page, scheme, size, problems: [], shown: new Map(), checked: new Set(), allowConsole: [], consoleErrors: [], errorDocs: new Set() };
  page._e2e = s;
  page.on("dialog", (d) => {
    s.problems.push(`a ${d.type()} dialog fired: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  page.on("pageerror", (e) => s.problems.push(`page error on ${page.url()}: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const text = m.text();
    const from = (m.location() && m.location().url) || "";
    if (s.allowConsole.some((re) => re.test(text))) return;
    s.consoleErrors.push({ text, from, at: page.url() });
  });
  page.on("response", (r) => {
    const req = r.request();
    if (req.resourceType() !== "document" || req.frame() !== page.mainFrame()) return;
    const u = new URL(r.url());
    if (u.origin !== env.url || !u.pathname.startsWith("/ui/")) return;
    const csp = r.headers()["content-security-policy"] || "";
    if (!/script-src 'self'/.test(csp) || !/frame-ancestors 'none'/.test(csp) || /unsafe-inline/.test(csp)) {
      s.problems.push(`no strict CSP on ${req.method()} ${u.pathname} (${r.status()}): ${JSON.stringify(csp)}`);
    }
    s.cspSeen = (s.cspSeen || 0) + 1;
    if (r.status() >= 400) s.errorDocs.add(r.url());
    if (r.status() < 300 || r.status() >= 400) s.shown.set(u.pathname + u.search, `${req.method()} ${u.pathname} ${r.status()}`);
  });
  s.close = async () => {
    const unchecked = [...s.shown.keys()].filter((k) => !s.checked.has(k));
    // A page that answers 403 or 404 on purpose makes chromium log "Failed
    // to load resource" for the document itself: the tests assert those
    // statuses; any other console error is a problem.
    for (const e of s.consoleErrors) {
      if (/^Failed to load resource/.test(e.text) && s.errorDocs.has(e.from)) continue;
      s.problems.push(`console error on ${e.at}: ${e.text}${e.from ? " (" + e.from + ")" : ""}`);
    }
    await context.close();
    assert.deepEqual(s.problems, [], "problems in the browser");
    assert.deepEqual(unchecked.map((k) => s.shown.get(k)), [], "pages shown but never checked with checkA11y");
  };
  return s;
}

// Runs axe-core in the page (injected with page.evaluate: the CSP forbids
// addScriptTag) and fails on any serious or critical violation.
export async function checkA11y(page, name = "") {
  const has = await page.evaluate(() => typeof window.axe === "object");
  if (!has) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => ({
        rule: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })),
      }));
  });
  const u = new URL(page.url());
  if (page._e2e) page._e2e.checked.add(u.pathname + u.search);
  const s = page._e2e || {};
  const where = `${name || u.pathname} (${s.scheme || "?"}, ${s.size || "?"})`;
  const text = violations
    .map((v) => `  [${v.impact}] ${v.rule}: ${v.help}\n` + v.nodes.map((n) => `    at ${n.target}\n      ${String(n.summary).replace(/\n/g, "\n      ")}`).join("\n"))
    .join("\n");
  assert.equal(violations.length, 0, `axe: serious/critical violations on ${where}:\n${text}`);
}

// Saves docs/screenshots/<name>-<light|dark>-<wide|narrow>.png when
// E2E_SCREENSHOTS=1; otherwise does nothing.
export async function screenshot(page, name) {
  if (!env.screenshots) return;
  const s = page._e2e || { scheme: "light", size: "wide" };
  const dir = join(here, "..", "docs", "screenshots");
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}-${s.scheme}-${s.size}.png`), fullPage: false, animations: "disabled" });
}

// Polls until fn returns a truthy value or the deadline passes.
export async function eventually(fn, { timeout = 15000, interval = 100, what = "condition" } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ": " + last.message : ""}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

// Every mail the SMTP server received for an address, newest first.
export async function mails(to) {
  const r = await fetch(`${env.mailURL}/mails?to=${encodeURIComponent(to)}`);
  return r.json();
}

// The newest mail to an address received after `after` (a Date.now()
// value), waiting for it; optionally one whose subject or text matches.
export async function latestMail(to, { after = 0, match = null, timeout = 15000 } = {}) {
  return eventually(
    async () => (await mails(to)).find((m) => m.at >= after && (!match || match.test(m.subject + "\n" + m.text))),
    { timeout, what: `a mail to ${to}` },
  );
}

// The one-time code in a mail ("Your sign-in code is ABCDE-FGHIJ").
export function codeIn(mail) {
  const m = /code is ([A-Za-z0-9-]+)/.exec(mail.text);
  assert.ok(m, `no code in the mail: ${mail.subject}`);
  return m[1];
}

// Calls the REST API, by default with the first-start access key.
// Answers { status, body (parsed JSON or null), text }.
export async function rest(method, path, { body, key = env.accessKey, headers = {} } = {}) {
  const h = { ...headers };
  if (key) h["x-api-key"] = key;
  if (body !== undefined) h["content-type"] = "application/json";
  const r = await fetch(env.url + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: r.status, body: json, text };
}

// POST /api-keys/auth/{key}: the status a client verifying key gets.
export async function verifyKey(key) {
  return (await rest("POST", `/api-keys/auth/${encodeURIComponent(key)}`)).status;
}

// A person of their own new account, through POST /auth/signup.
export async function signUp(email, password, name = "E2E Person") {
  const r = await rest("POST", "/auth/signup", { key: "", body: { email, password, name } });
  assert.ok(r.status >= 200 && r.status < 300, `signup of ${email}: ${r.status} ${r.text}`);
}

// A unique name or email fragment.
let n = 0;
export function uniq(prefix = "e2e") {
  return `${prefix}-${Date.now().toString(36)}${(n++).toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
}

// Opens a /ui/ path and checks it.
export async function visit(page, path, name) {
  const r = await page.goto(env.url + path);
  await checkA11y(page, name);
  return r;
}

// Signs in with a password on /ui/signin and waits for the projects page.
export async function signIn(page, email = env.admin.email, password = env.admin.password) {
  await visit(page, "/ui/signin", "sign in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await Promise.all([page.waitForURL((u) => u.pathname === "/ui/"), page.getByRole("button", { name: "Sign in" }).click()]);
  await checkA11y(page, "projects");
}

// Creates a project from the projects page; answers its keys page's path.
export async function newProject(page, name, envName = "live") {
  await visit(page, `/ui/?env=${envName}`, "projects");
  await page.getByRole("link", { name: "New project" }).click();
  await checkA11y(page, "new project");
  await page.getByLabel("Name").fill(name);
  await page.getByLabel(envName === "test" ? "Test" : "Live").check();
  await Promise.all([page.waitForURL((u) => u.pathname === "/ui/"), page.getByRole("button", { name: "Create project" }).click()]);
  await checkA11y(page, "projects");
  await page.getByRole("link", { name, exact: true }).click();
  await page.waitForURL(/\/ui\/projects\/[^/]+\/keys$/);
  await checkA11y(page, "keys");
  return new URL(page.url()).pathname;
}

// Creates an API key on a project's keys page (the path newProject gave);
// answers the key string shown once.
export async function newKey(page, keysPath, name, fields = {}) {
  await visit(page, keysPath, "keys");
  await page.getByRole("link", { name: "New API key" }).click();
  await checkA11y(page, "new key");
  await page.getByLabel("Name").fill(name);
  for (const [label, value] of Object.entries(fields)) await page.getByLabel(label, { exact: true }).fill(value);
  await page.getByRole("button", { name: "Create API key" }).click();
  const shown = page.getByTestId("new-key");
  await shown.waitFor();
  await checkA11y(page, "new key shown");
  return (await shown.textContent()).trim();
}
