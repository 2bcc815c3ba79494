// Journey 1: the first-run setup link → the admin → a project → a key,
// copied from the page and verified for real, then rotated, revoked and
// reactivated. run.mjs runs this file first and alone: it spends the
// one-time setup link and creates the admin every other file signs in as.
import { test } from "node:test";
import assert from "node:assert/strict";
import { launch, session, checkA11y, env, newProject, newKey, verifyKey, uniq } from "../lib.mjs";

test("first run: setup link, admin, project, key, rotate, revoke, reactivate", { timeout: 120000 }, async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const s = await session(browser, { clipboard: true });
  const { page } = s;

  // The setup link opens the setup form; it creates the admin and signs in.
  await page.goto(env.setupURL);
  await checkA11y(page, "setup");
  await page.getByLabel("Email").fill(env.admin.email);
  await page.getByLabel("Name").fill(env.admin.name);
  await page.getByLabel("Password").fill(env.admin.password);
  await Promise.all([page.waitForURL((u) => u.pathname === "/ui/"), page.getByRole("button", { name: "Create admin account" }).click()]);
  await checkA11y(page, "projects (empty)");
  await page.getByRole("button", { name: "Sign out" }).waitFor();

  // The link works once.
  const again = await browser.newPage();
  await again.goto(env.setupURL);
  assert.match(await again.locator("main").innerText(), /not valid/);
  await again.close();

  const keysPath = await newProject(page, uniq("First project"));
  const key = await newKey(page, keysPath, "first key");
  assert.match(key, /^live_/);
  assert.equal(await verifyKey(key), 200, "the key shown verifies");

  // The Copy button puts exactly the shown key on the clipboard.
  await page.getByRole("button", { name: "Copy key" }).click();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(copied.trim(), key);

  // Open the key, rotate it (with the confirmation page).
  await page.getByRole("link", { name: "first key", exact: true }).click();
  await page.waitForURL(/\/ui\/keys\/[^/]+$/);
  await checkA11y(page, "key");
  const keyPath = new URL(page.url()).pathname;
  await page.getByRole("link", { name: "Rotate" }).click();
  await page.waitForURL(/\/rotate$/);
  await checkA11y(page, "rotate confirm");
  await page.getByRole("button", { name: "Rotate key" }).click();
  const shown = page.getByTestId("new-key");
  await shown.waitFor();
  await checkA11y(page, "rotated key shown");
  const rotated = (await shown.textContent()).trim();
  assert.notEqual(rotated, key);
  assert.equal(await verifyKey(key), 404, "the old key is gone after rotation");
  assert.equal(await verifyKey(rotated), 200, "the new key verifies");

  // Revoke (confirmed) → 404; reactivate → 200.
  await page.goto(env.url + keyPath);
  await checkA11y(page, "key");
  await page.getByRole("link", { name: "Revoke" }).click();
  await page.waitForURL(/\/revoke$/);
  await checkA11y(page, "revoke confirm");
  await Promise.all([page.waitForURL((u) => u.pathname === keyPath), page.getByRole("button", { name: "Revoke key" }).click()]);
  await checkA11y(page, "key revoked");
  assert.match(await page.locator("main").innerText(), /Revoked/);
  assert.equal(await verifyKey(rotated), 404, "a revoked key does not verify");

  await Promise.all([page.waitForURL((u) => u.pathname === keyPath), page.getByRole("button", { name: "Reactivate" }).click()]);
  await checkA11y(page, "key reactivated");
  assert.match(await page.locator("main").innerText(), /Active/);
  assert.equal(await verifyKey(rotated), 200, "a reactivated key verifies again");

  await s.close();
});
