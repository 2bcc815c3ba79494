// Official-SDK compatibility test: runs the npm package `theauthapi` (pinned
// to 1.0.11, the official Node SDK of The Auth API) against a live Keyway
// server and checks the wire contract of shared/CONTRACT.md.
//
//   KEYWAY_URL=http://127.0.0.1:8080 KEYWAY_ACCESS_KEY=live_access_… node --test sdktest/
//
// KEYWAY_ACCESS_KEY must be an account-level access key. `.ci/sdk-test` starts
// a fresh server and runs this file.
//
// Each test builds what it needs (usually its own project) so it can be read
// and run on its own. Where the SDK hides the wire (status codes, headers,
// exact error bodies) the test uses plain fetch.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import theauthapi from 'theauthapi';

// The package is CommonJS compiled from TypeScript: `exports.default = TheAuthAPI`
// with `__esModule`. Importing it from ESM yields module.exports, so the class
// is on `.default`.
const TheAuthAPI = typeof theauthapi === 'function' ? theauthapi : theauthapi.default;

const BASE_URL = (process.env.KEYWAY_URL ?? '').replace(/\/+$/, '');
const ACCESS_KEY = process.env.KEYWAY_ACCESS_KEY ?? '';
if (!BASE_URL || !ACCESS_KEY) {
  throw new Error('set KEYWAY_URL and KEYWAY_ACCESS_KEY (an account-level access key)');
}

const sdk = new TheAuthAPI(ACCESS_KEY, { host: BASE_URL, retryCount: 0 });

const LIVE_KEY = /^live_[A-Za-z0-9]{64}$/;
const TEST_KEY = /^test_[A-Za-z0-9]{64}$/;
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const API_KEY_FIELDS = [
  'key', 'name', 'projectId', 'env', 'customMetaData', 'customAccountId', 'customUserId',
  'isActive', 'expiresAt', 'rateLimitConfigs', 'allowedDomains', 'creationContext',
  'createdAt', 'updatedAt',
];
const PROJECT_FIELDS = [
  'id', 'name', 'accountId', 'env', 'isActive', 'createdBy', 'createdByType', 'createdIn',
  'lastChangedBy', 'lastChangedByType', 'createdAt', 'updatedAt',
];
const ACCOUNT_FIELDS = [
  'id', 'name', 'isActive', 'createdBy', 'createdByType', 'createdIn', 'lastChangedBy',
  'lastChangedByType', 'createdAt', 'updatedAt',
];

let accountId;

// ---------------------------------------------------------------- helpers

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function randomAlnum(n) {
  let s = '';
  while (s.length < n) {
    for (const b of randomBytes(n)) {
      if (b < 248 && s.length < n) s += ALNUM[b % 62];
    }
  }
  return s;
}
const uniq = (prefix) => `${prefix}-${randomAlnum(10)}`;

/** A raw HTTP call. Returns status, headers, text and parsed JSON (if any). */
async function http(method, path, { body, headers = {}, accessKey = ACCESS_KEY } = {}) {
  const h = { ...headers };
  if (accessKey !== null) h['x-api-key'] = accessKey;
  if (body !== undefined) h['content-type'] = 'application/json';
  const res = await fetch(BASE_URL + path, {
    method,
    headers: h,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

/** Asserts that promise rejects with the SDK's ApiResponseError of the given status. */
async function rejectsWithStatus(promise, statusCode, what) {
  await assert.rejects(promise, (err) => {
    assert.equal(err?.name, 'ApiResponseError',
      `${what}: expected the SDK to throw ApiResponseError, got ${err?.name}: ${err?.message}`);
    assert.equal(err.statusCode, statusCode,
      `${what}: expected HTTP ${statusCode}, got ${err.statusCode} (${err.message})`);
    return true;
  }, `${what}: expected the SDK call to reject with ${statusCode}`);
}

function assertHasFields(obj, fields, what) {
  assert.ok(obj && typeof obj === 'object', `${what}: expected an object, got ${JSON.stringify(obj)}`);
  const missing = fields.filter((f) => !(f in obj));
  assert.deepEqual(missing, [], `${what}: missing fields ${missing.join(', ')} in ${JSON.stringify(obj)}`);
}

/** The SDK turns every ISO date-time string of a response into a Date. */
function assertSdkDate(value, what) {
  assert.ok(value instanceof Date, `${what}: expected a Date (the SDK converts ISO strings), got ${JSON.stringify(value)}`);
  assert.ok(!Number.isNaN(value.getTime()), `${what}: invalid date`);
}

async function newProject(env = 'live') {
  const name = uniq(`sdktest-${env}`);
  const project = await sdk.projects.createProject({ name, accountId, env });
  assert.equal(project.name, name, 'createProject: name echoed');
  return project;
}

async function newKey(projectId, extra = {}) {
  return sdk.apiKeys.createKey({ name: uniq('key'), projectId, ...extra });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The contract fields of an ApiKey, for comparing two answers about one key. */
function keyView(k) {
  const view = {};
  for (const f of API_KEY_FIELDS) if (f !== 'updatedAt') view[f] = k[f];
  return view;
}

// ---------------------------------------------------------------- setup

before(async () => {
  const ready = await fetch(`${BASE_URL}/readyz`);
  assert.equal(ready.status, 200, `GET /readyz: expected 200, got ${ready.status}`);

  const res = await http('GET', '/accounts');
  assert.equal(res.status, 200, `GET /accounts: expected 200, got ${res.status} ${res.text}`);
  assert.ok(Array.isArray(res.json), `GET /accounts: expected a bare JSON array, got ${res.text}`);
  assert.equal(res.json.length, 1, `GET /accounts: an account-level access key sees exactly its account, got ${res.text}`);
  accountId = res.json[0].id;
  assert.equal(typeof accountId, 'string', 'GET /accounts: account id is a string');
});

// ---------------------------------------------------------------- projects and accounts

test('projects: createProject, getProjects, getProject, updateProject', async () => {
  const name = uniq('sdktest-project');
  const created = await sdk.projects.createProject({ name, accountId, env: 'live' });
  assertHasFields(created, PROJECT_FIELDS, 'createProject');
  assert.equal(typeof created.id, 'string', 'createProject: id is a string');
  assert.equal(created.name, name, 'createProject: name');
  assert.equal(created.accountId, accountId, 'createProject: accountId');
  assert.equal(created.env, 'live', 'createProject: env');
  assert.equal(created.isActive, true, 'createProject: isActive');
  assert.equal(created.createdByType, 'ACCESS_KEY', 'createProject: createdByType (created with an access key)');
  assertSdkDate(created.createdAt, 'createProject: createdAt');
  assertSdkDate(created.updatedAt, 'createProject: updatedAt');

  // Timestamps on the wire: ISO-8601 UTC with milliseconds.
  const raw = await http('GET', `/projects/${created.id}`);
  assert.equal(raw.status, 200, `GET /projects/{id}: status (${raw.text})`);
  assert.match(raw.json.createdAt, ISO_MS, 'project createdAt on the wire');
  assert.match(raw.json.updatedAt, ISO_MS, 'project updatedAt on the wire');

  const list = await sdk.projects.getProjects(accountId);
  assert.ok(Array.isArray(list), 'getProjects: a bare array');
  const listed = list.find((p) => p.id === created.id);
  assert.ok(listed, 'getProjects: contains the new project');
  assert.equal(listed.name, name, 'getProjects: listed name');
  for (const p of list) assert.equal(p.accountId, accountId, 'getProjects: every project belongs to the account');

  const got = await sdk.projects.getProject(created.id);
  assert.equal(got.id, created.id, 'getProject: id');
  assert.equal(got.name, name, 'getProject: name');
  assert.equal(got.createdAt.getTime(), created.createdAt.getTime(), 'getProject: createdAt unchanged');

  const newName = uniq('sdktest-renamed');
  const updated = await sdk.projects.updateProject(created.id, { name: newName });
  assert.equal(updated.id, created.id, 'updateProject: id');
  assert.equal(updated.name, newName, 'updateProject: name changed');
  assert.equal(updated.env, 'live', 'updateProject: env unchanged');
  assert.ok(updated.updatedAt.getTime() >= created.updatedAt.getTime(), 'updateProject: updatedAt not earlier');
  assert.equal((await sdk.projects.getProject(created.id)).name, newName, 'getProject after update: new name');

  await rejectsWithStatus(sdk.projects.getProject('no-such-project-' + randomAlnum(8)), 404, 'getProject(unknown id)');
});

test('accounts: getAccount returns the Account object', async () => {
  const account = await sdk.accounts.getAccount(accountId);
  assertHasFields(account, ACCOUNT_FIELDS, 'getAccount');
  assert.equal(account.id, accountId, 'getAccount: id');
  assert.equal(typeof account.name, 'string', 'getAccount: name is a string');
  assert.equal(account.isActive, true, 'getAccount: isActive');
  assertSdkDate(account.createdAt, 'getAccount: createdAt');
  assertSdkDate(account.updatedAt, 'getAccount: updatedAt');
});

// ---------------------------------------------------------------- creating keys

test('apiKeys.createKey: generated live_ key with every ApiKey field', async () => {
  const project = await newProject();
  const name = uniq('key');
  const key = await sdk.apiKeys.createKey({
    name,
    projectId: project.id,
    customMetaData: { plan: 'pro' },
    customAccountId: 'acc-1',
    customUserId: 'user-1',
  });
  assertHasFields(key, API_KEY_FIELDS, 'createKey');
  assert.match(key.key, LIVE_KEY, 'createKey: key is live_ + 64 alphanumerics');
  assert.equal(key.name, name, 'createKey: name');
  assert.equal(key.projectId, project.id, 'createKey: projectId');
  assert.equal(key.env, 'live', 'createKey: env from the project');
  assert.deepEqual(key.customMetaData, { plan: 'pro' }, 'createKey: customMetaData');
  assert.equal(key.customAccountId, 'acc-1', 'createKey: customAccountId');
  assert.equal(key.customUserId, 'user-1', 'createKey: customUserId');
  assert.equal(key.isActive, true, 'createKey: isActive');
  assert.equal(key.expiresAt, null, 'createKey: expiresAt null without expiry');
  assert.equal(key.rateLimitConfigs, null, 'createKey: rateLimitConfigs null without one');
  assert.deepEqual(key.allowedDomains, [], 'createKey: allowedDomains []');
  assert.ok(key.creationContext && typeof key.creationContext === 'object' && !Array.isArray(key.creationContext),
    'createKey: creationContext is an object');
  assertSdkDate(key.createdAt, 'createKey: createdAt');
  assertSdkDate(key.updatedAt, 'createKey: updatedAt');

  // The same key on the wire, read without consuming it.
  const raw = await http('GET', `/api-keys/${key.key}`);
  assert.equal(raw.status, 200, `GET /api-keys/{key}: status (${raw.text})`);
  assert.match(raw.json.createdAt, ISO_MS, 'key createdAt on the wire');
  assert.match(raw.json.updatedAt, ISO_MS, 'key updatedAt on the wire');
  assert.equal(raw.json.expiresAt, null, 'key expiresAt on the wire');

  // Two generated keys differ.
  const other = await newKey(project.id);
  assert.notEqual(other.key, key.key, 'two generated keys differ');
  assert.deepEqual(other.customMetaData, {}, 'createKey without customMetaData: {}');
  assert.equal(other.customAccountId, null, 'createKey without customAccountId: null');
  assert.equal(other.customUserId, null, 'createKey without customUserId: null');
});

test('apiKeys.createKey: a test project issues test_ keys', async () => {
  const project = await newProject('test');
  assert.equal(project.env, 'test', 'createProject env test');
  const key = await newKey(project.id);
  assert.match(key.key, TEST_KEY, 'key of a test project is test_ + 64 alphanumerics');
  assert.equal(key.env, 'test', 'key env follows the project');
  assert.equal(await sdk.apiKeys.isValidKey(key.key), true, 'test key is valid');
});

test('apiKeys.createKey: a caller-supplied key is kept; taking it again is 409', async () => {
  const project = await newProject();
  const custom = `live_custom${randomAlnum(40)}`;
  const key = await sdk.apiKeys.createKey({ name: uniq('custom'), projectId: project.id, key: custom });
  assert.equal(key.key, custom, 'createKey: the custom key string is used as given');
  assert.equal(await sdk.apiKeys.isValidKey(custom), true, 'the custom key verifies');

  await rejectsWithStatus(
    sdk.apiKeys.createKey({ name: uniq('dup'), projectId: project.id, key: custom }),
    409, 'createKey with a key that is taken');

  const raw = await http('POST', '/api-keys', { body: { name: 'dup', projectId: project.id, key: custom } });
  assert.equal(raw.status, 409, `POST /api-keys duplicate key: status (${raw.text})`);
  assert.equal(raw.json?.statusCode, 409, 'duplicate key: body statusCode');
  assert.equal(raw.json?.error, 'Conflict', 'duplicate key: body error');
  assert.equal(typeof raw.json?.message, 'string', 'duplicate key: body message');
});

test('apiKeys.createKey: a missing name is a 400 validation error', async () => {
  const project = await newProject();
  await rejectsWithStatus(sdk.apiKeys.createKey({ projectId: project.id }), 400, 'createKey without name');

  const raw = await http('POST', '/api-keys', { body: { projectId: project.id } });
  assert.equal(raw.status, 400, `POST /api-keys without name: status (${raw.text})`);
  assert.equal(raw.json?.statusCode, 400, 'validation error: statusCode');
  assert.equal(raw.json?.error, 'Bad Request', 'validation error: error');
  assert.ok(Array.isArray(raw.json?.message) && raw.json.message.length > 0
    && raw.json.message.every((m) => typeof m === 'string'),
    `validation error: message is a non-empty array of strings, got ${raw.text}`);
  assert.ok(raw.json.message.some((m) => m.includes('name')), `validation error names the field: ${raw.text}`);
});

// ---------------------------------------------------------------- verification

test('apiKeys.isValidKey and authenticateKey', async () => {
  const project = await newProject();
  const key = await newKey(project.id, { customMetaData: { plan: 'pro' }, customUserId: 'user-1' });

  assert.equal(await sdk.apiKeys.isValidKey(key.key), true, 'isValidKey(new key)');
  assert.equal(await sdk.apiKeys.isValidKey(`live_nope${randomAlnum(59)}`), false, 'isValidKey(unknown key)');
  assert.equal(await sdk.apiKeys.isValidKey('not-a-key'), false, 'isValidKey(malformed key)');

  const authed = await sdk.apiKeys.authenticateKey(key.key);
  assertHasFields(authed, API_KEY_FIELDS, 'authenticateKey');
  assert.deepEqual(keyView(authed), keyView(key), 'authenticateKey returns the key object');

  await rejectsWithStatus(sdk.apiKeys.authenticateKey(`live_nope${randomAlnum(59)}`), 404, 'authenticateKey(unknown key)');

  // POST answers 200, not 201 (★ in the contract).
  const raw = await http('POST', `/api-keys/auth/${key.key}`);
  assert.equal(raw.status, 200, `POST /api-keys/auth/{key}: expected 200, got ${raw.status}`);
  assert.equal(raw.json.key, key.key, 'POST /api-keys/auth/{key}: body is the key');
  // The legacy GET verifies too.
  const legacy = await http('GET', `/api-keys/auth/${key.key}`);
  assert.equal(legacy.status, 200, `GET /api-keys/auth/{key}: expected 200, got ${legacy.status}`);
  assert.equal(legacy.json.key, key.key, 'GET /api-keys/auth/{key}: body is the key');
});

test('verification of an invalid key: exact 404 body', async () => {
  const expected = { statusCode: 404, message: 'Invalid client key', error: 'Not Found' };
  for (const candidate of [`live_nope${randomAlnum(59)}`, 'garbage']) {
    for (const method of ['POST', 'GET']) {
      const res = await http(method, `/api-keys/auth/${candidate}`);
      assert.equal(res.status, 404, `${method} /api-keys/auth/${candidate}: status`);
      assert.deepEqual(res.json, expected, `${method} /api-keys/auth/${candidate}: body ${res.text}`);
    }
  }
});

// ---------------------------------------------------------------- listing keys

test('apiKeys.getKeys: a project\'s keys, newest first', async () => {
  const project = await newProject();
  const k1 = await newKey(project.id);
  const k2 = await newKey(project.id);
  const k3 = await newKey(project.id);
  const list = await sdk.apiKeys.getKeys({ projectId: project.id });
  assert.ok(Array.isArray(list), 'getKeys: a bare array');
  assert.deepEqual(list.map((k) => k.key), [k3.key, k2.key, k1.key], 'getKeys: exactly the project\'s keys, newest first');
  for (const k of list) assertHasFields(k, API_KEY_FIELDS, 'getKeys item');

  // Same answer again (stable order).
  const again = await sdk.apiKeys.getKeys({ projectId: project.id });
  assert.deepEqual(again.map((k) => k.key), [k3.key, k2.key, k1.key], 'getKeys: stable order');
});

test('apiKeys.getKeys: name filter is exact and case-insensitive', async () => {
  const project = await newProject();
  const name = uniq('Alpha');
  const target = await newKey(project.id, { name });
  await newKey(project.id, { name: `${name}-2` });
  await newKey(project.id, { name: `x${name}` });

  const upper = await sdk.apiKeys.getKeys({ projectId: project.id, name: name.toUpperCase() });
  assert.deepEqual(upper.map((k) => k.key), [target.key], 'getKeys name=UPPER: only the exact (case-insensitive) match');
  const lower = await sdk.apiKeys.getKeys({ projectId: project.id, name: name.toLowerCase() });
  assert.deepEqual(lower.map((k) => k.key), [target.key], 'getKeys name=lower: only the exact (case-insensitive) match');
  const none = await sdk.apiKeys.getKeys({ projectId: project.id, name: 'Alph' });
  assert.deepEqual(none, [], 'getKeys name=prefix: no match (not a substring search)');
});

test('apiKeys.getKeys: customAccountId, customUserId and the literal null', async () => {
  const project = await newProject();
  const acct = uniq('acc');
  const a = await newKey(project.id, { customAccountId: acct, customUserId: 'user-a' });
  const b = await newKey(project.id, { customAccountId: acct });
  const c = await newKey(project.id, { customUserId: 'user-c' });
  const d = await newKey(project.id);

  const byAccount = await sdk.apiKeys.getKeys({ projectId: project.id, customAccountId: acct });
  assert.deepEqual(byAccount.map((k) => k.key), [b.key, a.key], 'getKeys customAccountId: the two keys of that account');

  const byUser = await sdk.apiKeys.getKeys({ projectId: project.id, customUserId: 'user-c' });
  assert.deepEqual(byUser.map((k) => k.key), [c.key], 'getKeys customUserId: the key of that user');

  const noUser = await sdk.apiKeys.getKeys({ projectId: project.id, customUserId: 'null' });
  assert.deepEqual(noUser.map((k) => k.key), [d.key, b.key], 'getKeys customUserId=null: the keys without a customUserId');

  const noAccount = await sdk.apiKeys.getKeys({ projectId: project.id, customAccountId: null });
  assert.deepEqual(noAccount.map((k) => k.key), [d.key, c.key], 'getKeys customAccountId=null (SDK prints null): keys without a customAccountId');

  const both = await sdk.apiKeys.getKeys({ projectId: project.id, customAccountId: acct, customUserId: 'null' });
  assert.deepEqual(both.map((k) => k.key), [b.key], 'getKeys customAccountId + customUserId=null: filters combine');
});

test('apiKeys.getKeys: isActive=false lists revoked keys only', async () => {
  const project = await newProject();
  const live = await newKey(project.id);
  const revoked = await newKey(project.id);
  assert.equal(await sdk.apiKeys.deleteKey(revoked.key), true, 'deleteKey returns true');

  const inactive = await sdk.apiKeys.getKeys({ projectId: project.id, isActive: false });
  assert.deepEqual(inactive.map((k) => k.key), [revoked.key], 'getKeys isActive=false: only the revoked key');
  assert.equal(inactive[0].isActive, false, 'getKeys isActive=false: item isActive false');

  const active = await sdk.apiKeys.getKeys({ projectId: project.id });
  assert.deepEqual(active.map((k) => k.key), [live.key], 'getKeys without isActive: only active keys');
  const activeExplicit = await sdk.apiKeys.getKeys({ projectId: project.id, isActive: true });
  assert.deepEqual(activeExplicit.map((k) => k.key), [live.key], 'getKeys isActive=true: only active keys');
});

test('apiKeys.getKeys without projectId, with an account-level access key: 400', async () => {
  await rejectsWithStatus(sdk.apiKeys.getKeys(), 400, 'getKeys() without projectId');
  const raw = await http('GET', '/api-keys');
  assert.equal(raw.status, 400, `GET /api-keys without projectId: status (${raw.text})`);
  assert.equal(raw.json?.error, 'Bad Request', `GET /api-keys without projectId: error (${raw.text})`);
});

// ---------------------------------------------------------------- reading and updating keys

test('apiKeys.getKey and updateKey: set, then clear with null', async () => {
  const project = await newProject();
  const key = await newKey(project.id, { customMetaData: { plan: 'pro' }, customUserId: 'user-1', customAccountId: 'acc-1' });

  const got = await sdk.apiKeys.getKey(key.key);
  assert.deepEqual(keyView(got), keyView(key), 'getKey returns the created key');
  await rejectsWithStatus(sdk.apiKeys.getKey(`live_nope${randomAlnum(59)}`), 404, 'getKey(unknown key)');

  const expiry = new Date(Date.UTC(2099, 0, 2, 3, 4, 5, 678));
  const newName = uniq('renamed');
  const updated = await sdk.apiKeys.updateKey(key.key, {
    name: newName,
    customMetaData: { plan: 'enterprise', seats: 5 },
    expiry, // the SDK sends a Date as its ISO string
  });
  assert.equal(updated.key, key.key, 'updateKey: same key string');
  assert.equal(updated.name, newName, 'updateKey: name');
  assert.deepEqual(updated.customMetaData, { plan: 'enterprise', seats: 5 }, 'updateKey: customMetaData replaced');
  assertSdkDate(updated.expiresAt, 'updateKey: expiresAt');
  assert.equal(updated.expiresAt.getTime(), expiry.getTime(), 'updateKey: expiresAt equals the given expiry');
  assert.equal(updated.customUserId, 'user-1', 'updateKey: customUserId untouched (partial update)');
  assert.equal(updated.customAccountId, 'acc-1', 'updateKey: customAccountId untouched (partial update)');
  assert.ok(updated.updatedAt.getTime() >= key.updatedAt.getTime(), 'updateKey: updatedAt not earlier');
  assert.equal(await sdk.apiKeys.isValidKey(key.key), true, 'key with a future expiry is valid');

  const raw = await http('GET', `/api-keys/${key.key}`);
  assert.equal(raw.json.expiresAt, '2099-01-02T03:04:05.678Z', 'expiresAt on the wire: ISO-8601 UTC with ms');

  // Date-only expiry form.
  const dateOnly = await sdk.apiKeys.updateKey(key.key, { expiry: '2098-12-31' });
  assert.equal(dateOnly.expiresAt?.toISOString?.(), '2098-12-31T00:00:00.000Z', 'updateKey expiry YYYY-MM-DD: midnight UTC');
  assert.equal(dateOnly.name, newName, 'updateKey without name: name kept (partial)');

  // null clears.
  const cleared = await sdk.apiKeys.updateKey(key.key, { customUserId: null, expiry: null, rateLimitConfigs: null });
  assert.equal(cleared.customUserId, null, 'updateKey customUserId:null clears it');
  assert.equal(cleared.expiresAt, null, 'updateKey expiry:null clears expiresAt');
  assert.equal(cleared.rateLimitConfigs, null, 'updateKey rateLimitConfigs:null leaves none');
  assert.equal(cleared.name, newName, 'updateKey with nulls: name kept');
  assert.equal(cleared.customAccountId, 'acc-1', 'updateKey with nulls: customAccountId kept');
  assert.deepEqual(cleared.customMetaData, { plan: 'enterprise', seats: 5 }, 'updateKey with nulls: customMetaData kept');

  const reread = await sdk.apiKeys.getKey(key.key);
  assert.equal(reread.customUserId, null, 'getKey after clearing: customUserId null');
  assert.equal(reread.expiresAt, null, 'getKey after clearing: expiresAt null');

  // A cleared customUserId now matches the literal null filter.
  const noUser = await sdk.apiKeys.getKeys({ projectId: project.id, customUserId: 'null' });
  assert.deepEqual(noUser.map((k) => k.key), [key.key], 'getKeys customUserId=null after clearing');
});

test('apiKeys.updateKey: rate limit set and cleared', async () => {
  const project = await newProject();
  const key = await newKey(project.id);
  const limited = await sdk.apiKeys.updateKey(key.key, { rateLimitConfigs: { rateLimit: 10, rateLimitTtl: 60 } });
  assert.deepEqual(limited.rateLimitConfigs, { rateLimit: 10, rateLimitTtl: 60 }, 'updateKey: rateLimitConfigs set');
  const raw = await http('POST', `/api-keys/auth/${key.key}`);
  assert.equal(raw.headers.get('ratelimit-limit'), '10', 'a limited key answers with ratelimit-limit');
  const cleared = await sdk.apiKeys.updateKey(key.key, { rateLimitConfigs: null });
  assert.equal(cleared.rateLimitConfigs, null, 'updateKey rateLimitConfigs:null removes the limit');
  const after = await http('POST', `/api-keys/auth/${key.key}`);
  assert.equal(after.status, 200, 'key without a limit verifies');
  assert.equal(after.headers.get('ratelimit-limit'), null, 'no rate-limit headers once the limit is removed');
});

test('an expired key fails verification; reactivateKey clears expiresAt', async () => {
  const project = await newProject();
  const key = await newKey(project.id);
  const expiry = new Date(Date.now() + 1500);
  await sdk.apiKeys.updateKey(key.key, { expiry });
  assert.equal(await sdk.apiKeys.isValidKey(key.key), true, 'valid before its expiry');
  await sleep(expiry.getTime() - Date.now() + 500);
  assert.equal(await sdk.apiKeys.isValidKey(key.key), false, 'invalid after its expiry');

  const reactivated = await sdk.apiKeys.reactivateKey(key.key);
  assert.equal(reactivated.isActive, true, 'reactivateKey(expired): isActive');
  assert.equal(reactivated.expiresAt, null, 'reactivateKey(expired): expiresAt cleared');
  assert.equal(await sdk.apiKeys.isValidKey(key.key), true, 'valid again after reactivation');
});

// ---------------------------------------------------------------- revoke and reactivate

test('apiKeys.deleteKey revokes; reactivateKey restores; reactivating an active key is 409', async () => {
  const project = await newProject();
  const key = await newKey(project.id);
  assert.equal(await sdk.apiKeys.isValidKey(key.key), true, 'valid before revoke');

  assert.strictEqual(await sdk.apiKeys.deleteKey(key.key), true, 'deleteKey returns true');
  assert.equal(await sdk.apiKeys.isValidKey(key.key), false, 'isValidKey after revoke: false');
  await rejectsWithStatus(sdk.apiKeys.getKey(key.key), 404, 'getKey after revoke');
  const raw = await http('POST', `/api-keys/auth/${key.key}`);
  assert.deepEqual(raw.json, { statusCode: 404, message: 'Invalid client key', error: 'Not Found' },
    `verification of a revoked key: body ${raw.text}`);

  const reactivated = await sdk.apiKeys.reactivateKey(key.key);
  assert.equal(reactivated.key, key.key, 'reactivateKey: same key');
  assert.equal(reactivated.isActive, true, 'reactivateKey: isActive true');
  assert.equal(await sdk.apiKeys.isValidKey(key.key), true, 'isValidKey after reactivate: true');
  assert.equal((await sdk.apiKeys.getKey(key.key)).isActive, true, 'getKey after reactivate: active');

  await rejectsWithStatus(sdk.apiKeys.reactivateKey(key.key), 409, 'reactivateKey on an active key');
});

// ---------------------------------------------------------------- rotate (raw HTTP: not in the SDK)

test('POST /api-keys/{key}/rotate: new key, same settings, the old key fails at once', async () => {
  const project = await newProject();
  const old = await newKey(project.id, {
    customMetaData: { plan: 'pro' },
    customAccountId: 'acc-1',
    customUserId: 'user-1',
    rateLimitConfigs: { rateLimit: 100, rateLimitTtl: 60 },
    allowedDomains: ['*.example.com'],
    expiry: '2099-06-01T00:00:00.000Z',
  });
  assert.equal(await sdk.apiKeys.isValidKey(old.key), true, 'old key valid before rotation');

  const res = await http('POST', `/api-keys/${old.key}/rotate`);
  assert.equal(res.status, 201, `rotate: expected 201, got ${res.status} ${res.text}`);
  const fresh = res.json;
  assertHasFields(fresh, API_KEY_FIELDS, 'rotate');
  assert.match(fresh.key, LIVE_KEY, 'rotate: new key is live_ + 64 alphanumerics');
  assert.notEqual(fresh.key, old.key, 'rotate: the key string changes');
  for (const f of ['name', 'projectId', 'env', 'customMetaData', 'customAccountId', 'customUserId',
    'rateLimitConfigs', 'allowedDomains']) {
    assert.deepEqual(fresh[f], old[f], `rotate: ${f} carried over`);
  }
  assert.equal(fresh.expiresAt, '2099-06-01T00:00:00.000Z', 'rotate: expiresAt carried over');
  assert.equal(fresh.isActive, true, 'rotate: new key active');

  assert.equal(await sdk.apiKeys.isValidKey(old.key), false, 'old key invalid right after rotation');
  assert.equal(await sdk.apiKeys.isValidKey(fresh.key), true, 'new key valid');
});

// ---------------------------------------------------------------- rate limit (raw HTTP: headers)

test('rate limit: headers, then 429 with retry-after-seconds', async () => {
  const project = await newProject();
  const key = await newKey(project.id, { rateLimitConfigs: { rateLimit: 2, rateLimitTtl: 60 } });
  assert.deepEqual(key.rateLimitConfigs, { rateLimit: 2, rateLimitTtl: 60 }, 'createKey: rateLimitConfigs');
  const path = `/api-keys/auth/${key.key}`;
  const started = Date.now();

  const first = await http('POST', path);
  assert.equal(first.status, 200, `1st verification: status (${first.text})`);
  assert.equal(first.headers.get('ratelimit-limit'), '2', '1st: ratelimit-limit');
  assert.equal(first.headers.get('ratelimit-remaining'), '1', '1st: ratelimit-remaining');
  assert.equal(first.headers.get('ratelimit-consumed'), '1', '1st: ratelimit-consumed');
  const reset = first.headers.get('ratelimit-reset');
  assert.match(reset ?? '', ISO_MS, `1st: ratelimit-reset is ISO-8601 (got ${reset})`);
  const resetMs = Date.parse(reset);
  assert.ok(resetMs > started && resetMs <= Date.now() + 61_000,
    `1st: ratelimit-reset about 60 s ahead (got ${reset})`);

  // Reading a key does not consume the limit.
  const read = await http('GET', `/api-keys/${key.key}`);
  assert.equal(read.status, 200, 'GET /api-keys/{key} on a limited key');

  const second = await http('POST', path);
  assert.equal(second.status, 200, `2nd verification: status (${second.text})`);
  assert.equal(second.headers.get('ratelimit-limit'), '2', '2nd: ratelimit-limit');
  assert.equal(second.headers.get('ratelimit-remaining'), '0', '2nd: ratelimit-remaining (GET /api-keys/{key} consumed nothing)');
  assert.equal(second.headers.get('ratelimit-consumed'), '2', '2nd: ratelimit-consumed');
  assert.equal(second.headers.get('ratelimit-reset'), reset, '2nd: same fixed window, same reset');

  const third = await http('POST', path);
  assert.equal(third.status, 429, `3rd verification: expected 429, got ${third.status}`);
  assert.equal(third.text, '{"statusCode":429,"message":"Too many requests"}', '3rd: exact 429 body');
  const retry = third.headers.get('retry-after-seconds');
  assert.match(retry ?? '', /^\d+$/, `3rd: retry-after-seconds is an integer (got ${retry})`);
  assert.ok(Number(retry) >= 1 && Number(retry) <= 60, `3rd: retry-after-seconds within the window (got ${retry})`);
  assert.equal(third.headers.get('ratelimit-limit'), '2', '3rd: ratelimit-limit on the 429 too');
  assert.equal(third.headers.get('ratelimit-remaining'), '0', '3rd: ratelimit-remaining on the 429');
  assert.ok(third.headers.get('ratelimit-consumed') !== null, '3rd: ratelimit-consumed on the 429');
  assert.equal(third.headers.get('ratelimit-reset'), reset, '3rd: ratelimit-reset on the 429');

  // The SDK treats 429 as an error, not as "invalid".
  await rejectsWithStatus(sdk.apiKeys.isValidKey(key.key), 429, 'isValidKey over the limit');
});

// ---------------------------------------------------------------- allowed domains (raw HTTP: header)

test('allowedDomains: x-origin-domain is checked against *.example.com', async () => {
  const project = await newProject();
  const key = await newKey(project.id, { allowedDomains: ['*.example.com'] });
  assert.deepEqual(key.allowedDomains, ['*.example.com'], 'createKey: allowedDomains');
  const path = `/api-keys/auth/${key.key}`;

  const sub = await http('POST', path, { headers: { 'x-origin-domain': 'app.example.com' } });
  assert.equal(sub.status, 200, `subdomain app.example.com: expected 200, got ${sub.status} ${sub.text}`);
  const apex = await http('POST', path, { headers: { 'x-origin-domain': 'example.com' } });
  assert.equal(apex.status, 200, `apex example.com: expected 200, got ${apex.status} ${apex.text}`);

  const evil = await http('POST', path, { headers: { 'x-origin-domain': 'evil.com' } });
  assert.equal(evil.status, 403, `evil.com: expected 403, got ${evil.status}`);
  assert.deepEqual(evil.json,
    { statusCode: 403, message: 'Origin domain is not allowed for this API key', error: 'Forbidden' },
    `evil.com: exact 403 body, got ${evil.text}`);
  const lookalike = await http('POST', path, { headers: { 'x-origin-domain': 'notexample.com' } });
  assert.equal(lookalike.status, 403, `notexample.com: expected 403, got ${lookalike.status}`);

  const none = await http('POST', path);
  assert.equal(none.status, 200, `no x-origin-domain: expected 200, got ${none.status}`);
  assert.equal(await sdk.apiKeys.isValidKey(key.key), true, 'SDK (sends no origin): valid');

  const open = await newKey(project.id);
  const anyOrigin = await http('POST', `/api-keys/auth/${open.key}`, { headers: { 'x-origin-domain': 'evil.com' } });
  assert.equal(anyOrigin.status, 200, 'a key without allowedDomains accepts any origin');
});

// ---------------------------------------------------------------- legacy

test('legacy authenticateAPIKey (POST /auth/authenticate)', async () => {
  const project = await newProject();
  const key = await newKey(project.id, { customMetaData: { plan: 'pro' }, customAccountId: 'acc-1', customUserId: 'user-1' });

  const result = await sdk.authenticateAPIKey(key.key);
  assert.deepEqual(result,
    { authenticated: true, customMetaData: { plan: 'pro' }, customAccountId: 'acc-1', customUserId: 'user-1' },
    'authenticateAPIKey: the legacy answer');

  const raw = await http('POST', '/auth/authenticate', { body: { credentials: { api_key: key.key } } });
  assert.equal(raw.status, 201, `POST /auth/authenticate: expected 201, got ${raw.status}`);

  // The SDK swallows errors here and reports them through the callback.
  let cbErr;
  const bad = await sdk.authenticateAPIKey(`live_nope${randomAlnum(59)}`, (err) => { cbErr = err; });
  assert.equal(bad, undefined, 'authenticateAPIKey(unknown): resolves undefined');
  assert.equal(cbErr?.statusCode, 404, `authenticateAPIKey(unknown): callback gets a 404 error (got ${cbErr?.message})`);
  const rawBad = await http('POST', '/auth/authenticate', { body: { credentials: { api_key: 'live_nope' } } });
  assert.equal(rawBad.status, 404, 'POST /auth/authenticate with an unknown key: 404');
});

// ---------------------------------------------------------------- deleting a project

test('projects.deleteProject: soft delete, its keys stop authenticating', async () => {
  const project = await newProject();
  const key = await newKey(project.id);
  assert.equal(await sdk.apiKeys.isValidKey(key.key), true, 'key valid before the project is deleted');

  const deleted = await sdk.projects.deleteProject(project.id);
  assertHasFields(deleted, PROJECT_FIELDS, 'deleteProject');
  assert.equal(deleted.id, project.id, 'deleteProject: returns the project');
  assert.equal(deleted.isActive, false, 'deleteProject: isActive false');

  assert.equal(await sdk.apiKeys.isValidKey(key.key), false, 'key of a deleted project: isValidKey false');
});

// ---------------------------------------------------------------- authentication

test('a wrong access key: 401', async () => {
  const wrong = new TheAuthAPI(`live_access_${randomAlnum(64)}`, { host: BASE_URL, retryCount: 0 });
  await rejectsWithStatus(wrong.projects.getProjects(accountId), 401, 'getProjects with a wrong access key');
  await rejectsWithStatus(wrong.accounts.getAccount(accountId), 401, 'getAccount with a wrong access key');
  await rejectsWithStatus(wrong.apiKeys.getKeys({ projectId: 'x' }), 401, 'getKeys with a wrong access key');
  // isValidKey only maps 404 to false: a 401 must surface, not read as "invalid".
  await rejectsWithStatus(wrong.apiKeys.isValidKey(`live_${randomAlnum(64)}`), 401, 'isValidKey with a wrong access key');

  const unauthorized = '{"statusCode":401,"message":"Unauthorized"}';
  const bad = await http('GET', `/projects?accountId=${accountId}`, { accessKey: 'live_access_wrong' });
  assert.equal(bad.status, 401, 'wrong access key: status');
  assert.equal(bad.text, unauthorized, 'wrong access key: exact body');
  const missing = await http('GET', `/projects?accountId=${accountId}`, { accessKey: null });
  assert.equal(missing.status, 401, 'no access key: status');
  assert.equal(missing.text, unauthorized, 'no access key: exact body');
});
