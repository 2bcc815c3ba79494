// Keyboard alone: sign in, create a project and an API key with Tab,
// typing and Enter only, and every control reached shows a focus ring.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, session, checkA11y, env, uniq } from "../lib.mjs";

let browser;
before(async () => (browser = await launch()));
after(() => browser && browser.close());

// What has the focus, and whether its ring is visible (a non-none outline
// of some width, or a box-shadow).
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const cs = getComputedStyle(el);
    const id = el.id && document.querySelector(`label[for="${el.id}"]`);
    return {
      tag: el.tagName.toLowerCase(),
      type: el.getAttribute("type") || "",
      text: (el.innerText || el.value || "").trim(),
      label: id ? id.innerText.trim() : el.getAttribute("aria-label") || "",
      ring: (cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) > 0) || (cs.boxShadow && cs.boxShadow !== "none"),
      outline: `${cs.outlineStyle} ${cs.outlineWidth} ${cs.outlineColor}`,
    };
  });
}

// Presses Tab until the focused element is the one wanted; every stop on
// the way must show its focus ring.
async function tabTo(page, want, max = 60) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const f = await focused(page);
    if (!f) continue;
    assert.ok(f.ring, `no visible focus ring on <${f.tag}> "${f.text || f.label}" (outline: ${f.outline}) at ${page.url()}`);
    if (want(f)) return f;
  }
  throw new Error(`Tab never reached the control on ${page.url()}`);
}
const byLabel = (l) => (f) => f.label === l;
const byText = (t) => (f) => f.text === t;

async function enterAndWait(page, url) {
  await Promise.all([page.waitForURL(url), page.keyboard.press("Enter")]);
  await checkA11y(page);
}

test("keyboard only: sign in, create a project and a key, focus visible", { timeout: 90000 }, async () => {
  const s = await session(browser);
  const { page } = s;
  await page.goto(env.url + "/ui/signin");
  await checkA11y(page, "sign in");
  await tabTo(page, byLabel("Email"));
  await page.keyboard.type(env.admin.email);
  await tabTo(page, byLabel("Password"));
  await page.keyboard.type(env.admin.password);
  await enterAndWait(page, (u) => u.pathname === "/ui/");

  await tabTo(page, byText("New project"));
  await enterAndWait(page, (u) => u.pathname === "/ui/projects/new");
  const name = uniq("Keyboard project");
  await tabTo(page, byLabel("Name"));
  await page.keyboard.type(name);
  await tabTo(page, byText("Create project"));
  await enterAndWait(page, (u) => u.pathname === "/ui/");

  await tabTo(page, byText(name));
  await enterAndWait(page, /\/ui\/projects\/[^/]+\/keys$/);
  await tabTo(page, byText("New API key"));
  await enterAndWait(page, /\/keys\/new$/);
  await tabTo(page, byLabel("Name"));
  await page.keyboard.type("keyboard key");
  await tabTo(page, byText("Create API key"));
  await page.keyboard.press("Enter");
  const shown = page.getByTestId("new-key");
  await shown.waitFor();
  await checkA11y(page, "new key (keyboard)");
  assert.match((await shown.textContent()).trim(), /^live_/);
  // The copy button is reachable by keyboard too.
  await tabTo(page, byText("Copy key"));
  await s.close();
});
