// Signing in with an emailed code, and a forgotten password reset by
// email, both read from the real SMTP server run.mjs started. Each uses a
// person of their own (POST /auth/signup), never the shared admin.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, session, checkA11y, visit, signUp, latestMail, codeIn, signIn, uniq } from "../lib.mjs";

let browser;
before(async () => (browser = await launch()));
after(() => browser && browser.close());

test("sign in with a code sent by email", { timeout: 90000 }, async () => {
  const email = `${uniq("code")}@e2e.test`;
  await signUp(email, "code-person-password-1");
  const s = await session(browser);
  const { page } = s;
  await visit(page, "/ui/signin", "sign in");
  await page.getByRole("link", { name: "Email me a code" }).click();
  await page.waitForURL(/\/ui\/signin\/code$/);
  await checkA11y(page, "sign in with a code");
  await page.getByLabel("Email").fill(email);
  const asked = Date.now();
  await page.getByRole("button", { name: "Send code" }).click();
  await page.getByLabel("Code").waitFor();
  await checkA11y(page, "enter the code");
  const code = codeIn(await latestMail(email, { after: asked - 1000 }));
  await page.getByLabel("Code").fill(code);
  await Promise.all([page.waitForURL((u) => u.pathname === "/ui/"), page.getByRole("button", { name: "Sign in" }).click()]);
  await checkA11y(page, "projects after code");
  await page.getByRole("button", { name: "Sign out" }).waitFor();
  await s.close();
});

test("forgot password: a code by email sets a new password", { timeout: 90000 }, async () => {
  const email = `${uniq("reset")}@e2e.test`;
  const old = "old-password-for-reset-1";
  const fresh = "new-password-after-reset-2";
  await signUp(email, old);
  const s = await session(browser);
  const { page } = s;
  await visit(page, "/ui/signin", "sign in");
  await page.getByRole("link", { name: "Forgot password?" }).click();
  await page.waitForURL(/\/ui\/forgot$/);
  await checkA11y(page, "forgot password");
  await page.getByLabel("Email").fill(email);
  const asked = Date.now();
  await page.getByRole("button", { name: "Send reset code" }).click();
  await page.getByLabel("Code").waitFor();
  await checkA11y(page, "reset code");
  const code = codeIn(await latestMail(email, { after: asked - 1000 }));
  await page.getByLabel("Code").fill(code);
  await page.getByLabel("New password").fill(fresh);
  await Promise.all([page.waitForURL((u) => u.pathname === "/ui/signin"), page.getByRole("button", { name: "Set password" }).click()]);
  await checkA11y(page, "sign in after reset");

  // The old password no longer works; the new one does.
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(old);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").waitFor();
  await checkA11y(page, "sign in refused");
  assert.equal(new URL(page.url()).pathname, "/ui/signin");
  await signIn(page, email, fresh);
  await s.close();
});
