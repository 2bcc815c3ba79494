// "Every page": signed in as the admin, with a project and a few keys,
// follow every link of the header and the pages reachable from them
// (projects, keys, a key, its forms), at 1440 and 375 px, light and dark.
// Each page: axe (no serious/critical violation), a screenshot named by
// its path (E2E_SCREENSHOTS=1: these are the README's), no console error,
// and at 375 px no horizontal scroll of the whole page. Every linked page
// must answer 200: a link to a missing page fails. The signed-out pages
// are crawled too.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, session, checkA11y, screenshot, env, signIn, newProject, newKey, uniq } from "../lib.mjs";

let browser;
let signedIn; // the admin's cookies, shared by every variant
let storefront = []; // the keys page and a key page of the crawl's own project
before(async () => {
  browser = await launch();
  // The data every variant sees: a project with three keys, one revoked.
  const s = await session(browser);
  await signIn(s.page);
  const keysPath = await newProject(s.page, "Storefront");
  await newKey(s.page, keysPath, "checkout service", { "Rate limit": "100", "Rate limit window (seconds)": "60", "Custom account id": "acct_42" });
  await newKey(s.page, keysPath, "mobile app");
  await newKey(s.page, keysPath, "old integration");
  const { page } = s;
  await page.getByRole("link", { name: "checkout service", exact: true }).click();
  await page.waitForURL(/\/ui\/keys\/[^/]+$/);
  await checkA11y(page, "key");
  storefront = [keysPath, new URL(page.url()).pathname];
  await page.goto(env.url + keysPath);
  await checkA11y(page, "keys");
  await page.getByRole("link", { name: "old integration", exact: true }).click();
  await page.waitForURL(/\/ui\/keys\/[^/]+$/);
  await checkA11y(page, "key");
  await page.getByRole("link", { name: "Revoke" }).click();
  await page.waitForURL(/\/revoke$/);
  await checkA11y(page, "revoke");
  await Promise.all([page.waitForURL(/\/ui\/keys\/[^/]+$/), page.getByRole("button", { name: "Revoke key" }).click()]);
  await checkA11y(page, "revoked");
  signedIn = await s.context.storageState();
  await s.close();
});
after(() => browser && browser.close());

const idLike = /^[0-9a-f]{8}-[0-9a-f]{4}-|^[A-Za-z0-9_-]{20,}$/;

// A page's name: its path under /ui/ with ids as "id" ("/ui/keys/…/edit"
// is "keys-id-edit"; "/ui/" is "projects").
export function pageName(path) {
  const segs = path.replace(/^\/ui\/?/, "").split("/").filter(Boolean).map((s) => (idLike.test(s) ? "id" : s));
  return segs.length ? segs.join("-") : "projects";
}

async function crawl(s, seeds, { signedIn }) {
  const { page } = s;
  const seen = new Map(); // pattern → path
  const queue = seeds.map((p) => ({ path: p, depth: 0 }));
  const visited = [];
  while (queue.length) {
    const { path, depth } = queue.shift();
    const name = pageName(path);
    if (seen.has(name)) continue;
    seen.set(name, path);
    const resp = await page.goto(env.url + path);
    const status = resp ? resp.status() : 0;
    assert.ok(status === 200, `${path} answered ${status}`);
    if (signedIn) assert.ok(new URL(page.url()).pathname !== "/ui/signin", `${path} sent a signed-in admin to sign in`);
    await checkA11y(page, name);
    if (s.size === "narrow") {
      const { sw, iw } = await page.evaluate(() => ({ sw: document.scrollingElement.scrollWidth, iw: window.innerWidth }));
      assert.ok(sw <= iw + 1, `${path} scrolls sideways at 375 px: scrollWidth ${sw} > ${iw}`);
    }
    await screenshot(page, name);
    visited.push(name);
    if (depth >= 4) continue;
    const links = await page.evaluate(() =>
      [...document.querySelectorAll("header a[href], main a[href]")].map((a) => new URL(a.href, location.href)).filter((u) => u.origin === location.origin).map((u) => u.pathname),
    );
    for (const l of links) {
      // The CSV export is a download, not a page.
      if (!l.startsWith("/ui/") || l.startsWith("/ui/static/") || l === "/ui/signout" || l.endsWith("/export")) continue;
      if (!seen.has(pageName(l))) queue.push({ path: l, depth: depth + 1 });
    }
  }
  return visited;
}

for (const scheme of ["light", "dark"]) {
  for (const size of ["wide", "narrow"]) {
    test(`every page, ${scheme}, ${size}`, { timeout: 600000 }, async (t) => {
      // Signed out first: sign in, the code and reset forms, a spent setup link.
      const anon = await session(browser, { scheme, size });
      const out = await crawl(anon, ["/ui/signin", "/ui/signin/code", "/ui/forgot"], { signedIn: false });
      await anon.page.goto(env.url + "/ui/setup?token=kwsetup_not_a_real_token");
      await checkA11y(anon.page, "setup (invalid link)");
      await screenshot(anon.page, "setup-invalid");
      await anon.close();

      const s = await session(browser, { scheme, size, storageState: signedIn });
      await s.page.goto(env.url + "/ui/");
      await checkA11y(s.page, "projects");
      const navLinks = await s.page.evaluate(() => [...document.querySelectorAll("header nav a[href]")].map((a) => new URL(a.href).pathname));
      assert.ok(navLinks.length >= 2, "the header has a nav");
      const inside = await crawl(s, ["/ui/", ...storefront, ...navLinks], { signedIn: true });
      for (const want of ["projects", "projects-new", "projects-id-keys", "projects-id-keys-new", "keys-id", "keys-id-edit", "keys-id-rotate"]) {
        assert.ok(inside.includes(want), `the crawl reached ${want} (got ${inside.join(", ")})`);
      }
      t.diagnostic(`${scheme}/${size}: ${out.length + 1} signed-out and ${inside.length} signed-in pages: ${inside.join(", ")}`);
      await s.close();
    });
  }
}
