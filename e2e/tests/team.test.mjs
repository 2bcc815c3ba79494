// Journey 3: the admin invites an address as viewer of one project; the
// real invitation mail arrives at the runner's SMTP server; the invitee
// opens its link in a browser of their own, signs up, sees the project as
// viewer without any create control, and a forged POST from that session
// (with its own, valid CSRF token) is refused by the service with 403 and
// creates nothing.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, session, checkA11y, visit, signIn, newProject, rest, latestMail, env, uniq } from "../lib.mjs";

let browser;
before(async () => (browser = await launch()));
after(() => browser && browser.close());

// The API keys of a project, through REST with the first-start access key.
async function keysOf(projectId) {
  const r = await rest("GET", `/api-keys/?projectId=${encodeURIComponent(projectId)}&limit=100`);
  assert.equal(r.status, 200, `list keys: ${r.text}`);
  const list = Array.isArray(r.body) ? r.body : r.body && r.body.result;
  assert.ok(Array.isArray(list), `a list of keys: ${r.text}`);
  return list;
}

test("team: invite by email as viewer, sign up from the link, no create control, a forged POST is refused", { timeout: 180000 }, async () => {
  // The admin: a project of this test's own, then Team → Invite people.
  const admin = await session(browser);
  const a = admin.page;
  await signIn(a);
  const projectName = uniq("Team project");
  const keysPath = await newProject(a, projectName);
  const projectId = keysPath.split("/")[3];
  assert.ok(projectId, `a project id in ${keysPath}`);

  await a.getByRole("link", { name: "Team", exact: true }).click();
  await a.waitForURL((u) => u.pathname === "/ui/team");
  await checkA11y(a, "team");
  await a.getByRole("link", { name: "Invite people" }).click();
  await a.waitForURL((u) => u.pathname === "/ui/team/invite");
  await checkA11y(a, "invite");

  const email = `${uniq("invitee")}@e2e.test`;
  const sentAt = Date.now();
  await a.getByLabel("Email addresses").fill(email);
  await a.getByLabel("Role").selectOption("viewer");
  await a.getByRole("group", { name: "Projects" }).getByLabel(`${projectName} (live)`, { exact: true }).check();
  await a.getByRole("button", { name: "Send invitations" }).click();
  await a.getByText("Invitation sent to 1 address.").waitFor({ timeout: 30000 });
  await checkA11y(a, "team after inviting");
  const invitations = a.getByTestId("invitations");
  await invitations.getByRole("row").filter({ hasText: email }).waitFor();
  assert.match(await invitations.getByRole("row").filter({ hasText: email }).innerText(), /viewer[\s\S]*pending/);

  // The real mail, with the sign-up link in it.
  const mail = await latestMail(email, { after: sentAt - 1000, match: /invitationId=/, timeout: 60000 });
  const m = /(https?:\/\/[^\s"<>]+\/ui\/signup\?invitationId=[^\s"<>]+)/.exec(mail.text);
  assert.ok(m, `a sign-up link in the invitation mail:\n${mail.text}`);
  const link = new URL(m[1]);
  assert.equal(link.origin, env.url, "the link points at this keyway");

  // The invitee, in a browser context of their own (no admin cookie).
  const invitee = await session(browser, { scheme: "dark", size: "narrow" });
  const p = invitee.page;
  await p.goto(link.toString());
  await checkA11y(p, "sign-up");
  assert.match(await p.getByTestId("invitation-info").innerText(), /viewer/);
  await p.locator("#signup-email").fill(email);
  await p.locator("#signup-name").fill("Vera Viewer");
  await p.locator("#signup-password").fill("e2e-" + uniq("pw"));
  await Promise.all([p.waitForURL((u) => u.pathname === "/ui/", { timeout: 30000 }), p.getByRole("button", { name: "Sign up and join" }).click()]);
  await checkA11y(p, "projects (invitee)");
  await p.getByRole("button", { name: "Sign out" }).waitFor();

  // The project is there, with no "New project"; its keys page has no "New API key".
  await visit(p, "/ui/?env=live", "projects (invitee)");
  const projectLink = p.getByRole("link", { name: projectName, exact: true });
  await projectLink.waitFor();
  assert.equal(await p.getByRole("link", { name: "New project" }).count(), 0, "a viewer has no New project");
  await Promise.all([p.waitForURL((u) => u.pathname === keysPath), projectLink.click()]);
  await checkA11y(p, "keys (invitee)");
  await p.getByRole("heading", { name: "API keys" }).waitFor();
  assert.equal(await p.getByRole("link", { name: "New API key" }).count(), 0, "a viewer has no New API key");
  assert.equal(await p.getByRole("button", { name: "New API key" }).count(), 0);

  // A forged POST from this session: the page's own CSRF token, the key
  // form's body. The guard lets it through (same origin, valid token); the
  // service refuses it.
  const createURL = `${env.url}/ui/projects/${projectId}/keys`;
  const csrf = await p.locator('input[type=hidden][name=csrf]').first().inputValue();
  assert.ok(csrf, "a CSRF token on the page");
  // chromium logs "Failed to load resource" for the 403 fetch: expected here.
  invitee.errorDocs.add(createURL);
  const forged = await p.evaluate(
    async ({ url, csrf }) => {
      const body = new URLSearchParams({ csrf, name: "forged by a viewer", key: "", expiresAt: "", rateLimit: "", rateLimitTtl: "", allowedDomains: "", customAccountId: "", customUserId: "", metadata: "" });
      const r = await fetch(url, { method: "POST", body, redirect: "manual", credentials: "same-origin" });
      return { status: r.status, text: r.type === "opaqueredirect" ? "" : await r.text() };
    },
    { url: createURL, csrf },
  );
  assert.equal(forged.status, 403, "the forged POST is refused by the server");
  assert.doesNotMatch(forged.text, /another site|has expired or did not come from Keyway/, "refused by the service, not by the CSRF/Origin guard");
  assert.deepEqual((await keysOf(projectId)).map((k) => k.name), [], "no key was created (REST)");
  await visit(a, keysPath, "keys (admin, after the forged POST)");
  assert.match(await a.locator("main").innerText(), /no API keys yet/, "no key was created (the admin's page)");

  // The team page shows the viewer no invite control; notifications pages.
  await visit(p, "/ui/team", "team (invitee)");
  assert.equal(await p.getByRole("link", { name: "Invite people" }).count(), 0, "a viewer cannot invite");
  await visit(p, "/ui/notifications", "notifications (invitee)");
  await p.getByRole("heading", { level: 1 }).waitFor();

  // The admin sees the invitation accepted and the new teammate.
  await visit(a, "/ui/team?status=accepted", "team (accepted)");
  await a.getByTestId("invitations").getByRole("row").filter({ hasText: email }).waitFor();
  await visit(a, "/ui/team", "team");
  await a.getByTestId("teammates").getByRole("row").filter({ hasText: email }).waitFor();
  await visit(a, "/ui/notifications", "notifications (admin)");

  await invitee.close();
  await admin.close();
});
