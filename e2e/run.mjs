// The one entry point of the dashboard's browser tests:
//
//   node e2e/run.mjs [--db sqlite|postgres]
//
// It builds keyway, starts a real SMTP server that keeps every mail (and
// serves them as JSON on 127.0.0.1 for the tests), starts `keyway serve`
// on a free port with a fresh data dir (and, for postgres, a fresh
// database made from KEYWAY_E2E_POSTGRES_URL and dropped afterwards),
// reads the first-start block from keyway's stderr, and runs the test
// files in e2e/tests/ with node's own runner: first-run.test.mjs alone
// (it spends the one-time setup link and creates the admin), then every
// other *.test.mjs. It exits with the tests' status. On failure it prints
// keyway's log with the setup token and the access key redacted.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer as createHTTPServer } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { SMTPServer } from "smtp-server";
import { simpleParser } from "mailparser";

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const started = Date.now();

function arg(name, def) {
  const i = process.argv.indexOf(name);
  if (i >= 0 && process.argv[i + 1]) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(name + "="));
  return eq ? eq.slice(name.length + 1) : def;
}
const db = arg("--db", "sqlite");
if (db !== "sqlite" && db !== "postgres") {
  console.error(`--db must be sqlite or postgres, not ${db}`);
  process.exit(2);
}
const say = (...a) => console.log(`[e2e ${db}]`, ...a);

const work = mkdtempSync(join(tmpdir(), "keyway-e2e-"));
const cleanups = [];
let keywayLog = "";
const secrets = [];
function redact(s) {
  for (const x of secrets) if (x) s = s.split(x).join("[redacted]");
  // Anything shaped like a setup token or an access key, whatever printed it.
  return s.replace(/kwsetup_[A-Za-z0-9]+/g, "kwsetup_[redacted]").replace(/(live|test)_access_[A-Za-z0-9]+/g, "$1_access_[redacted]");
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// The SMTP server: every mail it receives is parsed and kept; GET
// /mails?to=ADDRESS on the mail HTTP endpoint answers them newest first.
async function startMail() {
  const mails = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, cb) {
      simpleParser(stream)
        .then((m) => {
          const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
          mails.push({ to, from: session.envelope.mailFrom && session.envelope.mailFrom.address, subject: m.subject || "", text: m.text || "", html: m.html || "", at: Date.now(), seq: mails.length + 1 });
          cb();
        })
        .catch(cb);
    },
  });
  const smtpPort = await freePort();
  await new Promise((resolve, reject) => {
    smtp.once("error", reject);
    smtp.listen(smtpPort, "127.0.0.1", resolve);
  });
  const http = createHTTPServer((req, res) => {
    const u = new URL(req.url, "http://127.0.0.1");
    if (u.pathname !== "/mails") {
      res.writeHead(404).end();
      return;
    }
    const to = (u.searchParams.get("to") || "").toLowerCase();
    const list = mails.filter((m) => !to || m.to.includes(to)).slice().reverse();
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(list));
  });
  await new Promise((resolve) => http.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((r) => smtp.close(r)));
  cleanups.push(() => new Promise((r) => http.close(r)));
  return { smtpPort, mailURL: `http://127.0.0.1:${http.address().port}` };
}

function psql(adminURL, sql) {
  execFileSync("psql", ["-v", "ON_ERROR_STOP=1", "-q", adminURL, "-c", sql], { stdio: ["ignore", "ignore", "inherit"] });
}

// A fresh PostgreSQL database named keyway_e2e_<random>, dropped at the end.
function makeDatabase() {
  const admin = process.env.KEYWAY_E2E_POSTGRES_URL || "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable";
  const name = "keyway_e2e_" + randomBytes(6).toString("hex");
  psql(admin, `CREATE DATABASE ${name}`);
  cleanups.push(() => {
    try {
      psql(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } catch (e) {
      console.error(`could not drop ${name}: ${e.message}`);
    }
  });
  const u = new URL(admin);
  u.pathname = "/" + name;
  return u.toString();
}

// Starts keyway serve and waits for /readyz and the first-start block.
async function startKeyway(bin, mail, databaseURL) {
  for (let attempt = 1; attempt <= 5; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = {
      ...process.env,
      KEYWAY_ADDR: `127.0.0.1:${port}`,
      KEYWAY_DATA_DIR: join(work, "data"),
      KEYWAY_PUBLIC_URL: url,
      KEYWAY_SMTP_URL: `smtp://127.0.0.1:${mail.smtpPort}`,
      KEYWAY_MAIL_FROM: "keyway@e2e.test",
      KEYWAY_SECRET_KEY: randomBytes(32).toString("base64"),
      KEYWAY_LOG_LEVEL: "info",
      KEYWAY_SIGNIN_ADDRESS_LIMIT: "100000",
      KEYWAY_WEBHOOK_ALLOW_NETWORKS: "127.0.0.0/8",
      KEYWAY_USAGE_FLUSH_INTERVAL: "1s",
      // A failed webhook delivery waits for the Retry button, not for the backoff.
      KEYWAY_WEBHOOK_RETRY_BASE: "1h",
    };
    delete env.KEYWAY_DATABASE_URL;
    delete env.KEYWAY_REDIS_URL;
    if (databaseURL) env.KEYWAY_DATABASE_URL = databaseURL;
    keywayLog = "";
    const child = spawn(bin, ["serve"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let exited = null;
    child.on("exit", (code, sig) => (exited = { code, sig }));
    child.stdout.on("data", (d) => (keywayLog += d));
    child.stderr.on("data", (d) => (keywayLog += d));
    const deadline = Date.now() + 30000;
    let ready = false;
    while (Date.now() < deadline && !exited) {
      try {
        const r = await fetch(url + "/readyz");
        if (r.status === 200 && /Setup link:/.test(keywayLog)) {
          ready = true;
          break;
        }
      } catch {}
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!ready) {
      if (!exited) child.kill("SIGKILL");
      say(`keyway did not start on attempt ${attempt}:\n${redact(keywayLog)}`);
      continue;
    }
    cleanups.unshift(
      () =>
        new Promise((resolve) => {
          if (exited) return resolve();
          const t = setTimeout(() => child.kill("SIGKILL"), 10000);
          child.once("exit", () => {
            clearTimeout(t);
            resolve();
          });
          child.kill("SIGTERM");
        }),
    );
    const setup = /Setup link:\s+(\S+)/.exec(keywayLog);
    const key = /Access key:\s+(\S+)/.exec(keywayLog);
    if (!setup || !key) throw new Error("no setup link or access key in keyway's first-start block:\n" + redact(keywayLog));
    secrets.push(new URL(setup[1]).searchParams.get("token"), key[1]);
    return { url, setupURL: setup[1], accessKey: key[1] };
  }
  throw new Error("keyway would not start");
}

// Runs node --test on files; its output passes through, and the summary
// counts are read from it.
function runTests(files, env) {
  return new Promise((resolve) => {
    const args = ["--test", "--test-reporter=spec", `--test-concurrency=${process.env.E2E_CONCURRENCY || 2}`, ...files];
    const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "inherit"], cwd: root });
    let out = "";
    child.stdout.on("data", (d) => {
      const s = redact(String(d));
      out += s;
      process.stdout.write(s);
    });
    child.on("exit", (code) => {
      const n = (k) => Number((new RegExp(`ℹ ${k} (\\d+)`).exec(out) || [])[1] || 0);
      resolve({ code: code ?? 1, pass: n("pass"), fail: n("fail"), skipped: n("skipped") + n("todo") });
    });
  });
}

async function main() {
  say("building keyway");
  const bin = join(work, "keyway");
  execFileSync("go", ["build", "-o", bin, "./cmd/keyway"], { cwd: root, stdio: "inherit" });
  const mail = await startMail();
  const databaseURL = db === "postgres" ? makeDatabase() : "";
  const kw = await startKeyway(bin, mail, databaseURL);
  say(`keyway on ${kw.url}, SMTP on 127.0.0.1:${mail.smtpPort}`);

  const env = {
    ...process.env,
    KEYWAY_E2E_URL: kw.url,
    KEYWAY_E2E_SETUP_URL: kw.setupURL,
    KEYWAY_E2E_ACCESS_KEY: kw.accessKey,
    KEYWAY_E2E_MAIL_URL: mail.mailURL,
    KEYWAY_E2E_DB: db,
    KEYWAY_E2E_ADMIN_EMAIL: "admin@e2e.test",
    KEYWAY_E2E_ADMIN_PASSWORD: "e2e-" + randomBytes(12).toString("hex"),
    KEYWAY_E2E_ADMIN_NAME: "Ada Admin",
  };
  secrets.push(env.KEYWAY_E2E_ADMIN_PASSWORD);
  const testsDir = join(here, "tests");
  const all = readdirSync(testsDir).filter((f) => f.endsWith(".test.mjs")).sort();
  const only = process.env.E2E_ONLY ? new RegExp(process.env.E2E_ONLY) : null;
  const first = all.filter((f) => f === "first-run.test.mjs");
  const rest = all.filter((f) => f !== "first-run.test.mjs" && (!only || only.test(f)));
  const results = [];
  results.push(await runTests(first.map((f) => join(testsDir, f)), env));
  if (rest.length) results.push(await runTests(rest.map((f) => join(testsDir, f)), env));
  const sum = results.reduce((a, r) => ({ pass: a.pass + r.pass, fail: a.fail + r.fail, skipped: a.skipped + r.skipped }), { pass: 0, fail: 0, skipped: 0 });
  const failed = results.some((r) => r.code !== 0) || sum.fail > 0;
  if (failed) {
    console.log("\n--- keyway's log (secrets redacted) ---\n" + redact(keywayLog) + "--- end of keyway's log ---");
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`\ne2e ${db} in ${secs}s:`);
  console.log(`e2e: ${sum.pass} passed, ${sum.fail} failed, ${sum.skipped} skipped`);
  return failed ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (e) {
  console.error(redact(String(e && e.stack ? e.stack : e)));
  if (keywayLog) console.error("\n--- keyway's log (secrets redacted) ---\n" + redact(keywayLog));
  code = 1;
} finally {
  for (const c of cleanups) {
    try {
      await c();
    } catch {}
  }
  rmSync(work, { recursive: true, force: true });
}
process.exit(code);
