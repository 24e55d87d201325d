#!/usr/bin/env node
// Login driver built on xmpp.js (@xmpp/client 0.14.0), an XMPP client
// written independently of this project. The interop tests use it as a real
// peer: it logs in with SASL2 + Bind2 (SCRAM-SHA-1 by default), uses or
// requests a FAST token, optionally sends a message and/or waits for one,
// and reports on stdout:
//
//   alice@localhost/xmppjs-interop~Yq7vzioItTpo   (bound full JID, alone on its line)
//   mechanism=SCRAM-SHA-1
//   fast=issued mechanism=HT-SHA-256-NONE expiry=2026-12-24T16:12:00Z
//   login_ms=412
//   sent to=bob@localhost
//   received from=bob@localhost/x type=chat body=hello
//
// Exit status: 0 on success (or, with --expect-fail, on a failed login),
// 1 on failure, 2 on bad usage, 3 on timeout.
//
// Options (each also read from the environment variable in brackets):
//   --service URL        xmpp://127.0.0.1:5222 (STARTTLS) or xmpps://... (direct TLS) [XMPP_SERVICE]
//   --domain NAME        XMPP domain, also the TLS server name (default localhost) [XMPP_DOMAIN]
//   --username NAME      account localpart [XMPP_USERNAME]
//   --password PW        password; when absent it is read from stdin [XMPP_PASSWORD]
//   --cafile FILE        PEM certificate to trust; passed to Node as NODE_EXTRA_CA_CERTS [XMPP_CAFILE]
//   --mechanism NAME     SASL mechanism for password logins (default SCRAM-SHA-1) [XMPP_MECHANISM]
//   --fast-token-file F  keep the FAST token (and the user-agent id) in F across runs [XMPP_FAST_TOKEN_FILE]
//   --user-agent-id ID   fixed SASL2 user-agent id (default: from the token file, else random)
//   --software NAME      user-agent software (default xmppjs-interop)
//   --device NAME        user-agent device (default interop)
//   --resource TAG       Bind2 tag (default xmppjs-interop)
//   --to JID             send a chat message to JID after login
//   --message TEXT       body for --to (default "hello from xmpp.js")
//   --wait SECONDS       wait this long for one incoming chat message and print it
//   --expect-body TEXT   with --wait, skip messages whose body does not contain TEXT
//   --logins N           log in N times with the same client object (FAST reconnection)
//   --timeout SECONDS    overall limit (default 20)
//   --expect-fail        succeed only if the (first) login fails
//   --debug              print every element sent and received to stderr
//
// xmpp.js always sends a SASL2 user-agent and, when the server offers FAST,
// requests a token after a password login and uses a stored token on the
// next one. Without --fast-token-file the token lives only in memory, so it
// is used by the second and later --logins.

import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync, renameSync, rmSync, existsSync } from "node:fs";
import process from "node:process";

const usage = `usage: node login.mjs --service xmpp://127.0.0.1:PORT --domain localhost --username alice
                      [--password PW | stdin] [--cafile cert.pem] [--mechanism SCRAM-SHA-1]
                      [--fast-token-file FILE] [--to JID --message TEXT] [--wait SECONDS [--expect-body TEXT]]
                      [--logins N] [--timeout SECONDS] [--expect-fail] [--debug]`;

const boolFlags = new Set(["expect-fail", "debug", "help"]);
const envNames = {
  service: "XMPP_SERVICE",
  domain: "XMPP_DOMAIN",
  username: "XMPP_USERNAME",
  password: "XMPP_PASSWORD",
  cafile: "XMPP_CAFILE",
  mechanism: "XMPP_MECHANISM",
  "fast-token-file": "XMPP_FAST_TOKEN_FILE",
};

function parseArgs(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) throw new Error(`unexpected argument ${arg}`);
    let [key, value] = arg.slice(2).split(/=(.*)/s, 2);
    if (boolFlags.has(key)) {
      opts[key] = value === undefined ? true : value !== "false";
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new Error(`--${key} needs a value`);
      value = argv[++i];
    }
    opts[key] = value;
  }
  for (const [key, env] of Object.entries(envNames)) {
    if (opts[key] === undefined && process.env[env] !== undefined) {
      opts[key] = process.env[env];
    }
  }
  return opts;
}

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (err) {
  console.error(`login.mjs: ${err.message}\n${usage}`);
  process.exit(2);
}
if (opts.help) {
  console.log(usage);
  process.exit(0);
}

// Node reads NODE_EXTRA_CA_CERTS only at startup: when --cafile names a file
// that is not already in effect, run this script again with it set.
if (opts.cafile && process.env.NODE_EXTRA_CA_CERTS !== opts.cafile) {
  const child = spawnSync(process.execPath, process.argv.slice(1), {
    stdio: "inherit",
    env: { ...process.env, NODE_EXTRA_CA_CERTS: opts.cafile },
  });
  process.exit(child.status ?? 1);
}

const { client, xml } = await import("@xmpp/client");

const service = opts.service;
const domain = opts.domain ?? "localhost";
const username = opts.username;
if (!service || !username) {
  console.error(`login.mjs: --service and --username are required\n${usage}`);
  process.exit(2);
}
const mechanismWanted = opts.mechanism ?? "SCRAM-SHA-1";
const timeoutSec = Number(opts.timeout ?? 20);
const waitSec = Number(opts.wait ?? 0);
const logins = Number(opts.logins ?? 1);
const tokenFile = opts["fast-token-file"];
const out = (line) => process.stdout.write(`${line}\n`);
const oneLine = (s) => String(s).split(/\s+/).filter(Boolean).join(" ");

const timer = setTimeout(() => {
  console.error(`login.mjs: timeout after ${timeoutSec}s`);
  process.exit(3);
}, timeoutSec * 1000);

// FAST state kept on disk: { token, mechanism, expiry, user_agent_id }.
function readState() {
  if (!tokenFile || !existsSync(tokenFile)) return {};
  const text = readFileSync(tokenFile, "utf8").trim();
  return text ? JSON.parse(text) : {};
}
function writeState(state) {
  const tmp = `${tokenFile}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, tokenFile);
}

let state = readState();
const userAgentId = opts["user-agent-id"] ?? state.user_agent_id ?? randomUUID();

function readPassword() {
  if (opts.password !== undefined) return opts.password;
  try {
    return readFileSync(0, "utf8").split(/\r?\n/)[0];
  } catch {
    return "";
  }
}
// The password is only needed when no stored token is usable; read stdin
// lazily so a FAST-only run does not block on it.
let password;
const getPassword = () => (password ??= readPassword());

const userAgent = xml(
  "user-agent",
  { id: userAgentId },
  xml("software", {}, opts.software ?? "xmppjs-interop"),
  xml("device", {}, opts.device ?? "interop"),
);

const xmpp = client({
  service,
  domain,
  // Sets the JID, which xmpp.js puts in the stream header's 'from'; Prosody
  // offers FAST only when it is there.
  username,
  resource: opts.resource ?? "xmppjs-interop",
  userAgent,
  // A credentials function lets us pick the mechanism: xmpp.js would
  // otherwise take the first one the server lists, and Prosody's order
  // varies between connections.
  credentials: async (authenticate, mechanisms, fast) => {
    const token = await fast?.fetch();
    const haveToken = token && fast.mechanisms.includes(token.mechanism) && new Date(token.expiry) > new Date();
    if (!mechanisms.includes(mechanismWanted) && !haveToken) {
      throw new Error(`mechanism ${mechanismWanted} not offered (offered: ${mechanisms.join(" ")})`);
    }
    // With a usable token the password only serves xmpp.js's fallback after
    // a failed FAST attempt, so stdin is not read for it.
    const pw = haveToken ? opts.password : getPassword();
    await authenticate({ username, password: pw, token }, mechanismWanted, userAgent);
  },
});
xmpp.reconnect.stop(); // report failures instead of retrying

// Keep FAST tokens in the token file (xmpp.js keeps them in memory only).
let tokenEvent = null;
let memoryToken = state.token ? { token: state.token, mechanism: state.mechanism, expiry: state.expiry } : null;
xmpp.fast.fetchToken = async () => memoryToken;
xmpp.fast.saveToken = async (t) => {
  tokenEvent = memoryToken ? "rotated" : "issued";
  memoryToken = t;
  if (tokenFile) {
    state = { token: t.token, mechanism: t.mechanism, expiry: t.expiry, user_agent_id: userAgentId };
    writeState(state);
  }
};
xmpp.fast.deleteToken = async () => {
  memoryToken = null;
  tokenEvent = "deleted";
  if (tokenFile) rmSync(tokenFile, { force: true });
};

// Which mechanism was used: the last <authenticate/> sent on this stream.
let lastMechanism = "unknown";
xmpp.on("send", (el) => {
  if (el.is("authenticate", "urn:xmpp:sasl:2") || el.is("auth", "urn:ietf:params:xml:ns:xmpp-sasl")) {
    lastMechanism = el.attrs.mechanism;
  }
  if (opts.debug) console.error(`SEND ${el.toString()}`);
});
if (opts.debug) xmpp.on("element", (el) => console.error(`RECV ${el.toString()}`));

let online = false;
// Prosody still offers legacy resource binding after Bind2 bound a
// resource; xmpp.js then tries it and reports the <service-unavailable/>
// error although the session is fine. Such errors after "online" are only
// logged.
xmpp.on("error", (err) => {
  if (online) console.error(`login.mjs: warning after login: ${err.condition ?? ""} ${err.message}`);
});

const received = [];
let onMessage = null;
xmpp.on("stanza", (stanza) => {
  if (stanza.is("message") && stanza.getChildText("body")) {
    const msg = { from: stanza.attrs.from, type: stanza.attrs.type ?? "normal", body: stanza.getChildText("body") };
    if (opts["expect-body"] && !msg.body.includes(opts["expect-body"])) return;
    received.push(msg);
    onMessage?.(msg);
  }
});

// SASL2 <success/> seen on the current stream.
let sasl2Success = false;
xmpp.on("element", (el) => {
  if (el.is("success", "urn:xmpp:sasl:2")) sasl2Success = true;
});

// Log in and resolve with the bound JID.
//
// xmpp.js marks the session online when it processes Bind2's <bound/> in
// <success/>. After a FAST login that happens only once the HT-* responder
// check (WebCrypto, asynchronous) is done; by then xmpp.js may already have
// reacted to the stream features that follow <success/>, tried the legacy
// bind that Prosody still offers, and rejected start() with that
// <service-unavailable/>. Once SASL2 succeeded, such an error is therefore
// not the outcome of the login: wait for the "online" event instead.
async function start() {
  sasl2Success = false;
  const onlineP = new Promise((resolve) => xmpp.once("online", resolve));
  const result = await Promise.race([
    onlineP.then((jid) => ({ jid })),
    xmpp.start().then((jid) => ({ jid }), (err) => ({ err })),
  ]);
  if (!result.err) return result.jid;
  if (!sasl2Success) throw result.err;
  console.error(`login.mjs: warning during login: ${result.err.condition ?? ""} ${result.err.message}`);
  let t;
  const late = await Promise.race([
    onlineP,
    new Promise((resolve) => (t = setTimeout(() => resolve(null), 5000))),
  ]);
  clearTimeout(t);
  if (!late) throw result.err;
  return late;
}

async function loginOnce(n) {
  tokenEvent = null;
  online = false;
  const hadToken = !!memoryToken;
  const begin = process.hrtime.bigint();
  const jid = await start();
  online = true;
  const ms = Number((process.hrtime.bigint() - begin) / 1_000_000n);
  out(jid.toString());
  out(`mechanism=${lastMechanism}`);
  if (tokenEvent === "issued" || tokenEvent === "rotated") {
    out(`fast=${tokenEvent} mechanism=${memoryToken.mechanism} expiry=${memoryToken.expiry}`);
  } else if (lastMechanism.startsWith("HT-")) {
    out("fast=used");
  } else {
    out(`fast=${hadToken ? "not-used" : "none"}`);
  }
  out(`login_ms=${ms}`);
  if (n > 1 || logins > 1) out(`login=${n}`);
}

async function main() {
  for (let n = 1; n <= logins; n++) {
    try {
      await loginOnce(n);
    } catch (err) {
      if (opts["expect-fail"] && n === 1) {
        out(`expected-failure=${oneLine(err.condition ?? err.message)}`);
        await xmpp.stop().catch(() => {});
        return 0;
      }
      console.error(`login.mjs: login failed: ${err.condition ?? ""} ${err.message}`);
      await xmpp.stop().catch(() => {});
      return 1;
    }
    if (opts["expect-fail"]) {
      console.error("login.mjs: login succeeded but --expect-fail was given");
      await xmpp.stop().catch(() => {});
      return 1;
    }
    if (n < logins) await xmpp.stop();
  }

  // Available presence, so messages to the bare JID reach this resource.
  await xmpp.send(xml("presence"));

  if (opts.to) {
    await xmpp.send(xml("message", { to: opts.to, type: "chat" }, xml("body", {}, opts.message ?? "hello from xmpp.js")));
    out(`sent to=${opts.to}`);
  }

  if (waitSec > 0) {
    const msg =
      received[0] ??
      (await new Promise((resolve) => {
        onMessage = resolve;
        setTimeout(() => resolve(null), waitSec * 1000);
      }));
    if (!msg) {
      console.error(`login.mjs: no message within ${waitSec}s`);
      await xmpp.stop().catch(() => {});
      return 1;
    }
    out(`received from=${msg.from} type=${msg.type} body=${oneLine(msg.body)}`);
  }

  await xmpp.stop();
  return 0;
}

const code = await main().catch((err) => {
  console.error(`login.mjs: ${err.stack ?? err}`);
  return 1;
});
clearTimeout(timer);
process.exit(code);
