// Independent MCP client test: the official TypeScript MCP SDK (npm
// `@modelcontextprotocol/sdk`, pinned) connects to a live Keyway's /mcp
// as an agent developer would, lists the tools and runs a few.
//
//   KEYWAY_URL=http://127.0.0.1:8080 KEYWAY_ACCESS_KEY=live_access_… node --test sdktest/

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const BASE_URL = (process.env.KEYWAY_URL ?? '').replace(/\/+$/, '');
const ACCESS_KEY = process.env.KEYWAY_ACCESS_KEY ?? '';

async function connect(headers) {
  const client = new Client({ name: 'keyway-mcp-check', version: '0.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(BASE_URL + '/mcp'), { requestInit: { headers } });
  await client.connect(transport);
  return client;
}

test('MCP: the 57 tools, a project and a key made and verified through them', async () => {
  const client = await connect({ 'x-api-key': ACCESS_KEY });
  try {
    const { tools } = await client.listTools();
    assert.equal(tools.length, 57);
    const names = new Set(tools.map((t) => t.name));
    for (const name of ['create_a_the_auth_api_project', 'create_a_the_auth_api_api_key', 'create_a_the_auth_api_api_keys_auth', 'list_all_the_auth_api_api_keys']) {
      assert.ok(names.has(name), name);
    }
    for (const t of tools) {
      assert.equal(t.inputSchema.type, 'object', t.name);
      assert.ok(t.description.length > 20, t.name);
    }

    const accounts = await client.callTool({ name: 'list_all_the_auth_api_accounts', arguments: {} });
    assert.equal(accounts.isError ?? false, false);
    const accountId = accounts.structuredContent.result[0].id;

    // Arguments are flat: body fields beside the path and query parameters.
    const project = await client.callTool({ name: 'create_a_the_auth_api_project', arguments: { name: 'mcp', accountId, env: 'live' } });
    assert.equal(project.isError ?? false, false, JSON.stringify(project));
    const projectId = project.structuredContent.id;

    const key = await client.callTool({ name: 'create_a_the_auth_api_api_key', arguments: { name: 'from an agent', projectId } });
    assert.equal(key.isError ?? false, false, JSON.stringify(key));
    assert.match(key.structuredContent.key, /^live_[A-Za-z0-9]{64}$/);

    const verified = await client.callTool({ name: 'create_a_the_auth_api_api_keys_auth', arguments: { key: key.structuredContent.key } });
    assert.equal(verified.isError ?? false, false);
    assert.equal(verified.structuredContent.name, 'from an agent');

    const listed = await client.callTool({ name: 'list_all_the_auth_api_api_keys', arguments: { projectId, limit: 10 } });
    assert.deepEqual(listed.structuredContent.result.map((k) => k.key), [key.structuredContent.key]);
    assert.equal(listed.structuredContent.next_cursor, null);

    // A by-id tool takes the catalogue's `id`.
    const got = await client.callTool({ name: 'get_single_the_auth_api_project_by_id', arguments: { id: projectId } });
    assert.equal(got.isError ?? false, false, JSON.stringify(got));
    assert.equal(got.structuredContent.name, 'mcp');

    // The nested body of the last release still works (deprecated).
    const nested = await client.callTool({ name: 'create_a_the_auth_api_api_key', arguments: { body: { name: 'nested form', projectId } } });
    assert.equal(nested.isError ?? false, false, JSON.stringify(nested));
    assert.equal(nested.structuredContent.name, 'nested form');

    // A refusal is a tool error with the contract's status, not a protocol failure.
    const missing = await client.callTool({ name: 'get_single_the_auth_api_project_by_id', arguments: { id: 'no-such-project' } });
    assert.equal(missing.isError, true);
    assert.equal(missing.structuredContent.statusCode, 404);
    const invalid = await client.callTool({ name: 'create_a_the_auth_api_project', arguments: { name: 'x', accountId } });
    assert.equal(invalid.isError, true);
    assert.equal(invalid.structuredContent.statusCode, 400);
  } finally {
    await client.close();
  }
});

test('MCP: a wrong credential is refused before any exchange', async () => {
  await assert.rejects(connect({ 'x-api-key': 'live_access_wrong' }));
});
