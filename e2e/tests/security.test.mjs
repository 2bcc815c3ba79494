// Security in the browser: user text is escaped, a foreign site's form
// POST is refused, the session cookie's flags, the CSP on every page
// (lib.mjs's session() asserts it on every /ui/ document), and sign-out
// then Back shows nothing private.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { launch, session, checkA11y, env, signIn, newProject, newKey, visit, uniq } from "../lib.mjs";

let browser;
before(async () => (browser = await launch()));
after(() => browser && browser.close());

const evil = "<img src=x onerror=alert(1)>";

test("a key named like markup renders as text and runs nothing", { timeout: 90000 }, async () => {
  const s = await session(browser);
  const { page } = s;
  await signIn(page);
  const keysPath = await newProject(page, uniq("xss") + " " + evil);
  await newKey(page, keysPath, evil);
  // The POST's answer, the list and the key page all show the name as text.
  await visit(page, keysPath, "keys with markup name");
  const link = page.getByRole("link", { name: evil, exact: true });
  assert.equal(await link.count(), 1, "the name is a link whose text is the markup");
  assert.equal(await page.locator("main img").count(), 0, "no img element was made");
  await link.click();
  await page.waitForURL(/\/ui\/keys\/[^/]+$/);
  await checkA11y(page, "key with markup name");
  assert.equal(await page.locator("h1").innerText(), evil);
  assert.equal(await page.locator("img").count(), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  await s.close(); // fails if a dialog fired
});

test("a cross-origin form POST carrying the session cookie is refused and changes nothing", { timeout: 90000 }, async (t) => {
  const s = await session(browser);
  const { page } = s;
  await signIn(page);
  // Even with the victim's real CSRF token, a foreign Origin is refused.
  const csrf = await page.locator('form[action="/ui/signout"] input[name=csrf]').inputValue();
  const name = uniq("forged");
  const attacker = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(`<!doctype html><html lang="en"><title>attacker</title><body>
<form id="f" method="post" action="${env.url}/ui/projects">
<input name="csrf" value="${csrf}"><input name="name" value="${name}"><input name="env" value="live">
</form><script>document.getElementById("f").submit()</script></body></html>`);
  });
  await new Promise((r) => attacker.listen(0, "127.0.0.1", r));
  t.after(() => attacker.close());
  const attackerURL = `http://127.0.0.1:${attacker.address().port}/`;

  const posted = page.waitForResponse((r) => r.url() === env.url + "/ui/projects" && r.request().method() === "POST");
  await page.goto(attackerURL);
  const resp = await posted;
  const sent = await resp.request().allHeaders();
  assert.match(sent.cookie || "", /keyway_session=/, "the browser did send the session cookie (same site, other port)");
  assert.equal(sent.origin, attackerURL.replace(/\/$/, ""));
  assert.equal(resp.status(), 403, "the forged POST is refused");
  await page.waitForURL(env.url + "/ui/projects");
  await checkA11y(page, "forged POST refused");
  assert.match(await page.locator("main").innerText(), /another site/);

  await visit(page, "/ui/?env=live", "projects");
  assert.equal(await page.getByRole("link", { name, exact: true }).count(), 0, "no project was created");
  await s.close();
});

test("the session cookie is HttpOnly, SameSite=Strict, Path=/ui/, not Secure on http", { timeout: 60000 }, async () => {
  const s = await session(browser);
  await signIn(s.page);
  const cookies = await s.context.cookies(env.url + "/ui/");
  const c = cookies.find((c) => c.name === "keyway_session");
  assert.ok(c, "a keyway_session cookie after sign-in");
  assert.equal(c.httpOnly, true);
  assert.equal(c.sameSite, "Strict");
  assert.equal(c.path, "/ui/");
  assert.equal(c.secure, false, "http public URL: not Secure");
  assert.equal(await s.page.evaluate(() => document.cookie.includes("keyway_session")), false, "scripts cannot read it");
  for (const o of cookies.filter((c) => c.name.startsWith("keyway_"))) {
    assert.equal(o.httpOnly, true, `${o.name} HttpOnly`);
    assert.equal(o.sameSite, "Strict", `${o.name} SameSite`);
  }
  assert.ok(s.cspSeen >= 2, "the CSP hook saw the pages");
  await s.close();
});

test("after sign-out, Back shows nothing private", { timeout: 60000 }, async () => {
  const s = await session(browser);
  const { page } = s;
  await signIn(page);
  const secretName = uniq("private project");
  const keysPath = await newProject(page, secretName);
  await visit(page, keysPath, "keys");
  assert.match(await page.locator("body").innerText(), new RegExp(secretName));
  await Promise.all([page.waitForURL((u) => u.pathname === "/ui/signin"), page.getByRole("button", { name: "Sign out" }).click()]);
  await checkA11y(page, "signed out");
  await page.goBack();
  await page.waitForLoadState();
  await checkA11y(page, "back after sign-out");
  const body = await page.locator("body").innerText();
  assert.doesNotMatch(body, new RegExp(secretName), "the private page is not shown again");
  assert.equal(await page.getByRole("button", { name: "Sign out" }).count(), 0);
  assert.equal(new URL(page.url()).pathname, "/ui/signin", "Back lands on sign in");
  await s.close();
});
