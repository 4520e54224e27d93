// launchevent.js under Node's test runner: the file runs in a fresh context with a fake Office and a
// fake fetch, as classic Outlook's JavaScript-only runtime would run it (no DOM, no modules).
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");

const SOURCE = fs.readFileSync(path.join(__dirname, "..", "launchevent.js"), "utf8");

function succeeded(value) {
  return { status: "succeeded", value };
}

/** A fake Outlook around one draft; `answer(url, init)` plays the server. */
/**
 * `roaming` is laid over a stored developer token (pass `zegelToken: undefined` for none); `sso` plays
 * Office single sign-on: `{ token }`, `{ error: code }` or undefined (an Outlook without Office.auth);
 * `email` is the signed-in Outlook user's address.
 */
function load({ headers = {}, roaming = {}, answer, language = "en-US", sessionData = true, session: initial = {}, body = "BSN 111222333", attachments, sso, email } = {}) {
  const roamingValues = Object.assign({ zegelToken: "zgl1.token" }, roaming);
  const session = Object.assign({}, initial);
  const calls = [];
  const getter = (value) => ({ getAsync: (...args) => args[args.length - 1](succeeded(value)) });
  const item = {
    subject: getter("Dossier 42"),
    body: { getAsync: (type, cb) => cb(succeeded(type === "html" ? `<p>${body}</p>` : body)) },
    to: getter([{ emailAddress: "jan@extern.example", displayName: "Jan" }]),
    cc: getter([]),
    bcc: getter([{ emailAddress: "piet@extern.example", displayName: "Piet" }]),
    internetHeaders: { getAsync: (names, cb) => cb(succeeded(Object.fromEntries(names.filter((n) => n in headers).map((n) => [n, headers[n]])))) },
    sessionData: sessionData
      ? {
          setAsync: (key, value, cb) => { session[key] = value; cb(succeeded()); },
          getAsync: (key, cb) => (key in session ? cb(succeeded(session[key])) : cb({ status: "failed", error: { message: "no such key" } })),
        }
      : undefined,
  };
  if (attachments) {
    // [{id, name, size, attachmentType, content: {format, content} | Error}]
    item.getAttachmentsAsync = (cb) => cb(succeeded(attachments.map(({ content, ...a }) => a)));
    item.getAttachmentContentAsync = (id, cb) => {
      const found = attachments.find((a) => a.id === id);
      calls.push({ content: id });
      if (!found || found.content instanceof Error) {
        cb({ status: "failed", error: { message: "cannot read " + id } });
      } else {
        cb(succeeded(found.content));
      }
    };
  }
  const associated = {};
  const Office = {
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
    CoercionType: { Text: "text", Html: "html" },
    MailboxEnums: { SendModeOverride: { PromptUser: "promptUser" } },
    actions: { associate: (name, fn) => { associated[name] = fn; } },
    context: {
      displayLanguage: language,
      mailbox: { item, userProfile: email ? { emailAddress: email, displayName: "Anna" } : undefined },
      roamingSettings: {
        get: (key) => roamingValues[key],
        set: (key, value) => { roamingValues[key] = value; },
        saveAsync: (cb) => cb(succeeded()),
      },
    },
  };
  if (sso) {
    Office.auth = {
      getAccessToken: (options) => {
        calls.push({ sso: options });
        return sso.token ? Promise.resolve(sso.token) : Promise.reject({ code: sso.error, message: "no token" });
      },
    };
  }
  const fetch = (url, init) => {
    calls.push({ url, init });
    return Promise.resolve().then(() => answer(url, init));
  };
  const context = vm.createContext({ Office, fetch, JSON, Promise, Object, Array, String, Boolean, Error });
  vm.runInContext(`var ZEGEL_BASE_URL = "https://zegel.example/";\n${SOURCE}`, context, { filename: "launchevent.js" });
  // Options cross from the script's context into this one as plain data.
  const run = (name) =>
    new Promise((resolve) => associated[name]({ completed: (options) => resolve(options === undefined ? undefined : JSON.parse(JSON.stringify(options))) }));
  return { run, calls, session, roamingValues, associated };
}

function json(status, body) {
  return { ok: status >= 200 && status < 300, status, json: () => Promise.resolve(body) };
}

function decision(action, level = null, reasons = []) {
  return { decision: { action, level, reasons, warnings: [{ type: "external_recipients", count: 2 }] }, findings: [] };
}

const BSN = [{ kind: "nl_bsn", terms: ["111222333"], action: "force", level: "2fa" }];

test("it is plain ES2016 without imports, modules or async functions", () => {
  for (const forbidden of [/^\s*import\s/m, /^\s*export\s/m, /\basync\s+function\b/, /\bawait\b/, /\?\./, /\?\?/, /\brequire\(/]) {
    assert.doesNotMatch(SOURCE, forbidden);
  }
});

test("both handlers are associated with the names in the manifest", () => {
  const { associated } = load({ answer: () => json(200, decision("allow")) });
  assert.deepEqual(Object.keys(associated).sort(), ["onMessageSendHandler", "onNewMessageComposeHandler"]);
});

test("allow sends, after scanning the draft with the sender's token", async () => {
  const { run, calls } = load({ roaming: { zegelToken: "zgl1.token" }, answer: () => json(200, decision("allow")) });
  assert.deepEqual(await run("onMessageSendHandler"), { allowEvent: true });
  assert.equal(calls.length, 1);
  assert.equal(calls[0].url, "https://zegel.example/api/v1/scan");
  assert.equal(calls[0].init.method, "POST");
  assert.equal(calls[0].init.headers.Authorization, "Bearer zgl1.token");
  const body = JSON.parse(calls[0].init.body);
  assert.equal(body.subject, "Dossier 42");
  assert.equal(body.body_text, "BSN 111222333");
  assert.equal(body.body_html, "<p>BSN 111222333</p>");
  assert.deepEqual(body.recipients, [{ email: "jan@extern.example", kind: "to" }, { email: "piet@extern.example", kind: "bcc" }]);
});

test("notify blocks once with the findings and a Send anyway choice", async () => {
  const reasons = [{ kind: "iban", terms: ["NL91ABNA0417164300"], action: "notify", level: "1fa" }];
  const { run, session } = load({ answer: () => json(200, decision("notify", "1fa", reasons)) });
  const options = await run("onMessageSendHandler");
  assert.equal(options.allowEvent, false);
  assert.equal(options.sendModeOverride, "promptUser");
  assert.match(options.errorMessage, /IBAN NL91ABNA0417164300/);
  assert.match(options.errorMessage, /2 recipient\(s\) outside/);
  assert.equal(options.commandId, undefined);
  assert.deepEqual(session, {}, "notify leaves nothing for the pane");
});

test("auto blocks this send, opens the pane and leaves the verdict for it", async () => {
  const { run, session } = load({ language: "nl-NL", answer: () => json(200, decision("auto", "1fa", BSN)) });
  const options = await run("onMessageSendHandler");
  assert.equal(options.allowEvent, false);
  assert.equal(options.commandId, "zegelComposeButton");
  assert.equal(options.cancelLabel, "Open Zegel");
  assert.match(options.errorMessage, /Zegel is ingeschakeld/);
  assert.equal(options.sendModeOverride, undefined, "no Send anyway: the sender decides in the pane");
  assert.equal(JSON.parse(session.zegelVerdict).action, "auto");
  assert.equal(JSON.parse(options.contextData).action, "auto");
});

test("force blocks with a clear message and opens the pane", async () => {
  const { run, session } = load({ language: "sv-SE", answer: () => json(200, decision("force", "2fa", BSN)) });
  const options = await run("onMessageSendHandler");
  assert.equal(options.allowEvent, false);
  assert.equal(options.sendModeOverride, undefined);
  assert.match(options.errorMessage, /kräver säker sändning/);
  assert.match(options.errorMessage, /BSN \(nederländskt personnummer\) 111222333/);
  assert.doesNotMatch(options.errorMessage, /nl_bsn/);
  assert.equal(options.cancelLabel, "Öppna Zegel");
  assert.equal(JSON.parse(session.zegelVerdict).level, "2fa");
});

test("a draft Zegel already sent goes without a scan", async () => {
  const { run, calls } = load({ headers: { "X-Zegel-Message": "abc123" }, answer: () => json(200, decision("force")) });
  assert.deepEqual(await run("onMessageSendHandler"), { allowEvent: true });
  assert.equal(calls.length, 0);
});

test("an unreachable server fails open with a warning by default", async () => {
  for (const answer of [() => Promise.reject(new TypeError("network")), () => json(503, {}), () => json(401, {}), () => json(200, { nonsense: 1 })]) {
    const { run } = load({ answer });
    const options = await run("onMessageSendHandler");
    assert.equal(options.allowEvent, false);
    assert.equal(options.sendModeOverride, "promptUser", "the sender may send anyway");
    assert.match(options.errorMessage, /could not check/);
  }
});

test("an unreachable server fails closed when the tenant's policy forces", async () => {
  const { run } = load({ roaming: { zegelPolicyForces: true }, answer: () => Promise.reject(new TypeError("network")) });
  const options = await run("onMessageSendHandler");
  assert.equal(options.allowEvent, false);
  assert.equal(options.sendModeOverride, undefined, "no Send anyway");
  assert.match(options.errorMessage, /requires the check/);
});

test("on compose the tenant's forcing policy is remembered, and kept when the server is down", async () => {
  const up = load({ answer: () => json(200, { allow_1fa: true, policy_forces: true }) });
  await up.run("onNewMessageComposeHandler");
  assert.equal(up.roamingValues.zegelPolicyForces, true);
  assert.equal(up.calls[0].url, "https://zegel.example/api/v1/settings");
  const down = load({ roaming: { zegelPolicyForces: true }, answer: () => Promise.reject(new TypeError("network")) });
  await down.run("onNewMessageComposeHandler");
  assert.equal(down.roamingValues.zegelPolicyForces, true);
  const silent = load({ roaming: { zegelPolicyForces: true }, answer: () => json(200, { allow_1fa: true }) });
  await silent.run("onNewMessageComposeHandler");
  assert.equal(silent.roamingValues.zegelPolicyForces, true, "settings without the flag change nothing");
});

test("long findings are cut to what Smart Alerts shows", async () => {
  const many = [{ kind: "trigger_word", terms: ["x".repeat(400), "y".repeat(400)], action: "force", level: "1fa" }];
  const { run } = load({ answer: () => json(200, decision("force", "1fa", many)) });
  const options = await run("onMessageSendHandler");
  assert.ok(options.errorMessage.length <= 500, String(options.errorMessage.length));
});

test("attachments go along as base64 in JSON, and a finding only in an attachment blocks the send", async () => {
  const text = Buffer.from("Patiënt BSN 111222333").toString("base64");
  const attachments = [
    { id: "a1", name: "notitie.txt", size: 22, attachmentType: "file", content: { format: "base64", content: text } },
    { id: "a2", name: "Doorgestuurd", size: 900, attachmentType: "item", content: { format: "eml", content: "Subject: x" } },
    { id: "a3", name: "map.docx", size: 10, attachmentType: "cloud", content: { format: "url", content: "https://cloud.example/x" } },
    { id: "a4", name: "kapot.pdf", size: 10, attachmentType: "file", content: new Error("locked") },
    { id: "a5", name: "huge.zip", size: 30 * 1024 * 1024, attachmentType: "file", content: { format: "base64", content: "AAAA" } },
  ];
  const { run, calls } = load({
    body: "Zie bijlage.",
    attachments,
    answer: (url, init) => {
      const sent = JSON.parse(init.body);
      const found = (sent.attachments || []).some((a) => Buffer.from(a.content_base64, "base64").toString().includes("111222333"));
      return json(200, found ? decision("force", "2fa", BSN) : decision("allow"));
    },
  });
  const options = await run("onMessageSendHandler");
  assert.equal(options.allowEvent, false, "the BSN in the attachment blocks the send");
  assert.match(options.errorMessage, /BSN \(Dutch citizen service number\) 111222333/);
  const post = calls.find((c) => c.url);
  const body = JSON.parse(post.init.body);
  assert.equal(post.init.headers["Content-Type"], "application/json");
  assert.equal(body.body_text, "Zie bijlage.");
  assert.deepEqual(body.attachments, [{ name: "notitie.txt", content_base64: text }], "files only, what Outlook could read, within the limit");
  assert.deepEqual(calls.filter((c) => c.content).map((c) => c.content), ["a1", "a4"], "items, cloud links and oversized files are not read");
});

test("a draft without attachments sends no attachments field", async () => {
  const { run, calls } = load({ attachments: [], answer: () => json(200, decision("allow")) });
  assert.deepEqual(await run("onMessageSendHandler"), { allowEvent: true });
  assert.equal(JSON.parse(calls[0].init.body).attachments, undefined);
});

// Sign-in without the pane: Office single sign-on, the stored token as fallback, and the fail-closed rule
// when neither works.

/** Plays the server: accepts `accepted` tokens, answers the policy hint with `forces`. */
function server({ accepted = [], forces, scan = decision("allow") } = {}) {
  return (url, init) => {
    if (url.indexOf("/api/v1/policy?") >= 0) {
      assert.equal(init.headers.Authorization, undefined, "the policy hint needs no sign-in");
      return forces === undefined ? Promise.reject(new TypeError("network")) : json(200, { policy_forces: forces });
    }
    const token = (init.headers.Authorization || "").replace("Bearer ", "");
    if (accepted.indexOf(token) < 0) {
      return json(401, { error: { code: "unauthorized", message: "authentication required" } });
    }
    return json(200, url.endsWith("/api/v1/settings") ? { policy_forces: true } : scan);
  };
}

test("the on-send check signs in with single sign-on, silently, without the pane", async () => {
  const { run, calls } = load({
    roaming: { zegelToken: undefined },
    sso: { token: "eyJ.sso.token" },
    answer: server({ accepted: ["eyJ.sso.token"] }),
  });
  assert.deepEqual(await run("onMessageSendHandler"), { allowEvent: true });
  assert.deepEqual(JSON.parse(JSON.stringify(calls[0].sso)), { allowSignInPrompt: false, allowConsentPrompt: false, forMSGraphAccess: false });
  const scan = calls.find((c) => c.url);
  assert.equal(scan.url, "https://zegel.example/api/v1/scan");
  assert.equal(scan.init.headers.Authorization, "Bearer eyJ.sso.token");
});

test("on compose, single sign-on learns and remembers whether the tenant forces", async () => {
  const { run, roamingValues, calls } = load({
    roaming: { zegelToken: undefined },
    sso: { token: "eyJ.sso.token" },
    answer: server({ accepted: ["eyJ.sso.token"] }),
  });
  await run("onNewMessageComposeHandler");
  assert.equal(roamingValues.zegelPolicyForces, true);
  assert.equal(calls.find((c) => c.url).init.headers.Authorization, "Bearer eyJ.sso.token");
});

test("without single sign-on, or when the server refuses its token, the stored token signs in", async () => {
  for (const sso of [undefined, { error: 13001 }, { token: "eyJ.untrusted" }]) {
    const { run, calls } = load({ sso, answer: server({ accepted: ["zgl1.token"], scan: decision("force", "2fa", BSN) }) });
    const options = await run("onMessageSendHandler");
    assert.equal(options.allowEvent, false);
    assert.match(options.errorMessage, /requires secure sending/, JSON.stringify(sso));
    assert.equal(calls.filter((c) => c.url).pop().init.headers.Authorization, "Bearer zgl1.token");
  }
});

test("no sign-in possible and the tenant forces: the send is blocked, with the pane to sign in", async () => {
  for (const [sso, accepted] of [[{ error: 13001 }, []], [undefined, []], [{ token: "eyJ.untrusted" }, []]]) {
    const { run, calls, roamingValues } = load({
      language: "nl-NL",
      roaming: { zegelToken: undefined },
      sso,
      email: "anna@zorg.example",
      answer: server({ accepted, forces: true }),
    });
    const options = await run("onMessageSendHandler");
    assert.equal(options.allowEvent, false);
    assert.equal(options.sendModeOverride, undefined, "no Send anyway");
    assert.equal(options.commandId, "zegelComposeButton", "the pane opens to sign in");
    assert.match(options.errorMessage, /Zegel kon u niet aanmelden en uw organisatie verplicht controle/);
    const hint = calls.find((c) => c.url && c.url.indexOf("policy") >= 0);
    assert.equal(hint.url, "https://zegel.example/api/v1/policy?domain=zorg.example");
    assert.equal(roamingValues.zegelPolicyForces, true, "remembered");
  }
});

test("every stored token refused counts as no sign-in too", async () => {
  const { run } = load({ language: "sv-SE", email: "anna@zorg.example", answer: server({ accepted: [], forces: true }) });
  const options = await run("onMessageSendHandler");
  assert.equal(options.allowEvent, false);
  assert.equal(options.sendModeOverride, undefined);
  assert.match(options.errorMessage, /Zegel kunde inte logga in dig, och din organisation kräver/);
});

test("no sign-in possible and the tenant does not force: a warning, and the sender may send", async () => {
  const { run, roamingValues } = load({
    roaming: { zegelToken: undefined, zegelPolicyForces: true },
    sso: { error: 13001 },
    email: "anna@gemeente.example",
    answer: server({ forces: false }),
  });
  const options = await run("onMessageSendHandler");
  assert.equal(options.allowEvent, false);
  assert.equal(options.sendModeOverride, "promptUser");
  assert.match(options.errorMessage, /could not sign you in, so it could not check/);
  assert.equal(roamingValues.zegelPolicyForces, false, "the server's answer wins over an old memory");
});

test("no sign-in possible and the server cannot tell: what was remembered decides", async () => {
  for (const [remembered, closed] of [[true, true], [false, false], [undefined, false]]) {
    const { run } = load({
      roaming: { zegelToken: undefined, zegelPolicyForces: remembered },
      sso: { error: 13007 },
      email: "anna@zorg.example",
      answer: server({ forces: undefined }),
    });
    const options = await run("onMessageSendHandler");
    assert.equal(options.allowEvent, false);
    assert.equal(options.sendModeOverride === undefined, closed, String(remembered));
  }
});

test("findings are named in the sender's words, never by internal codes", () => {
  const { zegelFound } = require("../launchevent.js");
  const reasons = [
    { kind: "nl_bsn", terms: ["111222333"] },
    { kind: "trigger_word", terms: ["Patiëntendossier"] },
    { kind: "se_personnummer", terms: [] },
    { kind: "something_new", terms: [] },
  ];
  const texts = { kinds: { nl_bsn: "BSN", se_personnummer: "Zweeds persoonsnummer", trigger_word: "", other: "gevoelige gegevens" } };
  assert.equal(zegelFound({ reasons }, texts), "BSN 111222333; \u201cPatiëntendossier\u201d; Zweeds persoonsnummer; gevoelige gegevens");
});

test("a Dutch alert names the BSN and quotes the trigger word", async () => {
  const reasons = [
    { kind: "nl_bsn", terms: ["111222333"], action: "force", level: "2fa" },
    { kind: "trigger_word", terms: ["Patiëntendossier"], action: "force", level: "2fa" },
  ];
  const { run } = load({ language: "nl-NL", answer: () => json(200, decision("force", "2fa", reasons)) });
  const options = await run("onMessageSendHandler");
  assert.match(options.errorMessage, /gevoelige informatie: BSN 111222333; \u201cPatiëntendossier\u201d\. Uw organisatie/);
  assert.doesNotMatch(options.errorMessage, /nl_bsn|trigger_word|\bje\b/);
});

test("Zegel switched on in the pane stops Outlook's Send without a scan and opens the pane at the wizard", async () => {
  for (const pane of [{ on: true, switchedOff: false, forced: false }, { on: true, switchedOff: false, forced: true }]) {
    const { run, calls, session } = load({
      language: "nl-NL",
      session: { zegelPane: JSON.stringify(pane) },
      answer: () => Promise.reject(new TypeError("the server is down; it must not matter")),
    });
    const options = await run("onMessageSendHandler");
    assert.equal(options.allowEvent, false, "the mail never leaves plain");
    assert.equal(options.sendModeOverride, undefined, "no Send anyway");
    assert.equal(options.commandId, "zegelComposeButton");
    assert.equal(options.cancelLabel, "Open Zegel");
    assert.match(options.errorMessage, /Zegel staat aan voor deze e-mail/);
    assert.deepEqual(JSON.parse(options.contextData), { open: "wizard" });
    assert.equal(session.zegelSendPressed, "1", "the pane learns that Send was pressed");
    assert.equal(calls.length, 0, "no scan needed");
  }
});

test("automatic protection switched off in the pane lets the send go; a forced verdict still stops it", async () => {
  const off = JSON.stringify({ on: false, switchedOff: true, forced: false });
  const auto = load({ session: { zegelPane: off }, answer: () => json(200, decision("auto", "1fa", BSN)) });
  assert.deepEqual(await auto.run("onMessageSendHandler"), { allowEvent: true });
  assert.equal(auto.calls.length, 1, "the draft is still scanned");
  const forced = load({ session: { zegelPane: off }, answer: () => json(200, decision("force", "2fa", BSN)) });
  const options = await forced.run("onMessageSendHandler");
  assert.equal(options.allowEvent, false);
  assert.equal(options.commandId, "zegelComposeButton");
  const untouched = load({ session: { zegelPane: JSON.stringify({ on: false, switchedOff: false }) }, answer: () => json(200, decision("auto", "1fa", BSN)) });
  assert.equal((await untouched.run("onMessageSendHandler")).allowEvent, false, "off without switching it off is not a choice");
  const garbage = load({ session: { zegelPane: "{not json" }, answer: () => json(200, decision("auto", "1fa", BSN)) });
  assert.equal((await garbage.run("onMessageSendHandler")).allowEvent, false);
});

test("an upload request's sealed draft goes without a scan", async () => {
  const { run, calls } = load({ headers: { "X-Zegel-Upload-Request": "ur1" }, answer: () => json(200, decision("force")) });
  assert.deepEqual(await run("onMessageSendHandler"), { allowEvent: true });
  assert.equal(calls.length, 0);
});

test("a draft marked as an upload request never goes plain, unless the sender switched Zegel off", async () => {
  for (const [pane, language, said] of [
    [{ on: true, switchedOff: false, forced: false, kind: "upload_request", uploadRequest: { allowedTypes: ["pdf"] } }, "nl-NL", /is een beveiligd uploadverzoek/],
    [{ kind: "upload_request" }, "sv-SE", /är en säker uppladdningsbegäran/],
    [{ on: false, kind: "upload_request" }, "en-US", /is a secure upload request/],
  ]) {
    const { run, calls, session } = load({
      language,
      session: { zegelPane: JSON.stringify(pane) },
      answer: () => Promise.reject(new TypeError("the server is down; it must not matter")),
    });
    const options = await run("onMessageSendHandler");
    assert.equal(options.allowEvent, false, JSON.stringify(pane));
    assert.equal(options.sendModeOverride, undefined, "no Send anyway");
    assert.equal(options.commandId, "zegelComposeButton");
    assert.match(options.errorMessage, said);
    assert.deepEqual(JSON.parse(options.contextData), { open: "wizard" });
    assert.equal(session.zegelSendPressed, "1");
    assert.equal(calls.length, 0, "no scan needed");
  }
  const off = JSON.stringify({ on: false, switchedOff: true, forced: false, kind: "upload_request" });
  const switchedOff = load({ session: { zegelPane: off }, answer: () => json(200, decision("allow")) });
  assert.deepEqual(await switchedOff.run("onMessageSendHandler"), { allowEvent: true });
  assert.equal(switchedOff.calls.length, 1, "scanned like any mail");
});
