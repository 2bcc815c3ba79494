// Journey 5: the admin creates an MCP server in the dashboard, choosing two
// read tools; the token and the client configuration are shown once; the
// configuration, pasted as it is into the official MCP TypeScript SDK,
// connects, lists exactly the chosen tools and runs one. Once the server
// is revoked in the dashboard, the same token no longer connects.
//
// The SDK is the one sdktest/ pins (@modelcontextprotocol/sdk, installed by
// `npm ci --prefix sdktest`, which .ci/sdk-test runs before this step), so
// the repository holds one copy of it, at one version.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { launch, session, checkA11y, signIn, uniq } from "../lib.mjs";

const sdk = fileURLToPath(new URL("../../sdktest/node_modules/@modelcontextprotocol/sdk/dist/esm/", import.meta.url));

let browser, Client, StreamableHTTPClientTransport;
before(async () => {
  if (!existsSync(sdk)) throw new Error("the official MCP SDK is not installed: run `npm ci --prefix sdktest` first");
  ({ Client } = await import(pathToFileURL(sdk + "client/index.js")));
  ({ StreamableHTTPClientTransport } = await import(pathToFileURL(sdk + "client/streamableHttp.js")));
  browser = await launch();
});
after(() => browser && browser.close());

// connect opens an MCP session with one server entry of a client
// configuration, exactly as written: its URL and its headers.
async function connect(entry) {
  const client = new Client({ name: "keyway-e2e", version: "0.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(entry.url), { requestInit: { headers: entry.headers } });
  await client.connect(transport);
  return client;
}

const chosen = ["list_all_the_auth_api_accounts", "list_all_the_auth_api_projects"];

test("MCP server: created in the dashboard, its token works in the official MCP SDK, revoked it does not", { timeout: 180000 }, async () => {
  const s = await session(browser);
  const page = s.page;
  await signIn(page);
  await page.getByRole("link", { name: "MCP servers", exact: true }).click();
  await page.waitForURL((u) => u.pathname === "/ui/mcp-servers");
  await checkA11y(page, "mcp servers");
  await page.getByRole("link", { name: "New MCP server" }).click();
  await page.waitForURL((u) => u.pathname === "/ui/mcp-servers/new");
  await checkA11y(page, "new mcp server");

  const name = uniq("agent");
  await page.getByLabel("Name", { exact: true }).fill(name);
  for (const tool of chosen) await page.locator(`input[name=tools][value="${tool}"]`).check();
  await page.getByRole("button", { name: "Create MCP server" }).click();
  await page.getByRole("heading", { name: `Copy the token of ${name}` }).waitFor({ timeout: 30000 });
  await checkA11y(page, "mcp server created");

  const token = (await page.getByTestId("mcp-token").innerText()).trim();
  assert.match(token, /^kwmcp_/);
  assert.ok(!page.url().includes(token), "the token is not in the URL");
  const config = JSON.parse(await page.getByTestId("mcp-snippet").innerText());
  const entry = config.mcpServers.keyway;
  assert.equal(entry.headers.Authorization, `Bearer ${token}`, "the snippet carries the shown token");

  // The configuration, as pasted into a client.
  const client = await connect(entry);
  try {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), [...chosen].sort(), "exactly the chosen tools");
    const accounts = await client.callTool({ name: "list_all_the_auth_api_accounts", arguments: {} });
    assert.equal(accounts.isError ?? false, false, JSON.stringify(accounts));
    assert.ok(accounts.structuredContent.result.length >= 1, "the admin's account is listed");
  } finally {
    await client.close();
  }

  // The list never shows the token; revoke from it.
  await page.getByRole("link", { name: "MCP servers", exact: true }).click();
  await page.waitForURL((u) => u.pathname === "/ui/mcp-servers");
  await checkA11y(page, "mcp servers with one");
  assert.ok(!(await page.content()).includes(token), "the list does not show the token");
  await page.getByRole("link", { name: `Revoke ${name}` }).click();
  await checkA11y(page, "revoke mcp server");
  await Promise.all([page.waitForURL((u) => !u.pathname.endsWith("/revoke")), page.getByRole("button", { name: "Revoke MCP server" }).click()]);
  await checkA11y(page, "mcp server revoked");

  await assert.rejects(async () => {
    const c = await connect(entry);
    try {
      await c.listTools();
    } finally {
      await c.close();
    }
  }, "a revoked server's token does not connect");
  await s.close();
});
