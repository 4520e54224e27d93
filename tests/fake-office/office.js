// A fake Office.js that plays Outlook for the browser tests: one draft (subject, body, recipients,
// attachments with their contents, internet headers, session data), or with `mode: "read"` a sent item
// in read mode (its raw `internetHeaders` for getAllInternetHeadersAsync), roaming settings, the display
// language, the signed-in user (`email`), Office single sign-on (`sso`: `{token}` from the tests' local
// OpenID Connect issuer, or `{error: code}`; without it this Office has no Office.auth), event handlers
// and `event.completed`. The test writes `window.ZEGEL_FAKE_SCENARIO` in front of this file and reads
// what the pane or launchevent.js did through `window.__fakeOffice`.
(function () {
  "use strict";
  var scenario = window.ZEGEL_FAKE_SCENARIO || {};
  if (scenario.noWebAssembly) {
    // The web view of an old Outlook (Internet Explorer 11) has no WebAssembly.
    delete window.WebAssembly;
  }
  var attachmentCount = 0;
  // `type` is "file" (the default), "item" (an attached e-mail) or "cloud" (a link to a cloud file).
  var attachment = function (a) {
    var base64 = a.base64 || "";
    attachmentCount += 1;
    return {
      id: "att-" + (attachmentCount - 1), name: a.name, size: a.size || atob(base64).length, isInline: false,
      attachmentType: a.type || "file", base64: base64,
    };
  };
  var address = function (r) { return { emailAddress: r.email, displayName: r.name || "" }; };
  var state = {
    subject: scenario.subject || "",
    bodyText: scenario.body || "",
    bodyHtml: scenario.bodyHtml || "<p>" + (scenario.body || "") + "</p>",
    to: (scenario.to || []).map(address),
    cc: (scenario.cc || []).map(address),
    bcc: (scenario.bcc || []).map(address),
    attachments: (scenario.attachments || []).map(attachment),
    headers: {},
    sessionData: Object.assign({}, scenario.sessionData || {}),
    roaming: Object.assign({}, scenario.roaming || {}),
    handlers: {},
    completed: null,
    sent: false,
    calls: [],
    ssoRequests: [],
  };
  var associated = {};

  function done(args, value, error) {
    var callback = args[args.length - 1];
    if (typeof callback !== "function") {
      return;
    }
    var result = error
      ? { status: "failed", error: { name: "FakeError", message: error } }
      : { status: "succeeded", value: value };
    setTimeout(function () { callback(result); }, 0);
  }

  function record(name) {
    state.calls.push(name);
  }

  var item = {
    itemType: "message",
    subject: { getAsync: function () { done(arguments, state.subject); } },
    body: {
      getAsync: function (coercion) { done(arguments, coercion === "html" ? state.bodyHtml : state.bodyText); },
      setAsync: function (data, options) {
        record("body.setAsync");
        var html = options && options.coercionType === "html";
        state.bodyHtml = html ? data : "<p>" + data + "</p>";
        state.bodyText = html ? data.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim() : data;
        done(arguments);
      },
    },
    to: { getAsync: function () { done(arguments, state.to.slice()); } },
    cc: { getAsync: function () { done(arguments, state.cc.slice()); } },
    bcc: { getAsync: function () { done(arguments, state.bcc.slice()); } },
    getAttachmentsAsync: function () {
      done(arguments, state.attachments.map(function (a) {
        return { id: a.id, name: a.name, size: a.size, isInline: a.isInline, attachmentType: a.attachmentType };
      }));
    },
    getAttachmentContentAsync: function (id) {
      var found = state.attachments.filter(function (a) { return a.id === id; })[0];
      if (found && found.attachmentType === "cloud") {
        done(arguments, { format: "url", content: "https://cloud.example/" + found.name });
      } else if (found && found.attachmentType === "item") {
        done(arguments, { format: "eml", content: "Subject: attached" });
      } else if (found) {
        state.contentReads = (state.contentReads || 0) + 1;
        done(arguments, { format: "base64", content: found.base64 });
      } else {
        done(arguments, null, "no attachment " + id);
      }
    },
    removeAttachmentAsync: function (id) {
      record("removeAttachmentAsync");
      state.attachments = state.attachments.filter(function (a) { return a.id !== id; });
      fire("olkAttachmentsChanged");
      done(arguments);
    },
    internetHeaders: {
      getAsync: function (names) {
        var found = {};
        names.forEach(function (n) { if (n in state.headers) { found[n] = state.headers[n]; } });
        done(arguments, found);
      },
      setAsync: function (headers) {
        record("internetHeaders.setAsync");
        Object.assign(state.headers, headers);
        done(arguments);
      },
    },
    sessionData: {
      getAsync: function (key) { done(arguments, state.sessionData[key] || ""); },
      setAsync: function (key, value) { state.sessionData[key] = value; done(arguments); },
    },
    addHandlerAsync: function (type, handler) {
      (state.handlers[type] = state.handlers[type] || []).push(handler);
      done(arguments);
    },
  };
  if (scenario.canSend !== false) {
    item.sendAsync = function () {
      record("sendAsync");
      state.sent = true;
      done(arguments);
    };
  }

  if (scenario.mode === "read") {
    // A sent item in read mode: subject is a plain string and the headers come as one raw block.
    item = {
      itemType: "message",
      subject: state.subject,
      getAllInternetHeadersAsync: function () {
        record("getAllInternetHeadersAsync");
        done(arguments, scenario.internetHeaders || "");
      },
    };
  }

  function fire(type) {
    (state.handlers[type] || []).forEach(function (handler) { handler({ type: type }); });
  }

  window.Office = {
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
    CoercionType: { Text: "text", Html: "html" },
    EventType: { RecipientsChanged: "olkRecipientsChanged", AttachmentsChanged: "olkAttachmentsChanged" },
    MailboxEnums: {
      AttachmentType: { File: "file", Item: "item", Cloud: "cloud" },
      AttachmentContentFormat: { Base64: "base64", Url: "url", Eml: "eml", ICalendar: "iCalendar" },
      SendModeOverride: { PromptUser: "promptUser" },
    },
    onReady: function () { return Promise.resolve({ host: "Outlook", platform: "OfficeOnline" }); },
    actions: { associate: function (name, handler) { associated[name] = handler; } },
    context: {
      displayLanguage: scenario.language || "en-US",
      roamingSettings: {
        get: function (key) { return state.roaming[key]; },
        set: function (key, value) { state.roaming[key] = value; },
        remove: function (key) { delete state.roaming[key]; },
        saveAsync: function () { done(arguments); },
      },
      mailbox: { item: item },
    },
  };

  if (scenario.sso) {
    // Office single sign-on: what Office got from the identity provider for the manifest's
    // WebApplicationInfo, or Office's error code when it got nothing.
    window.Office.auth = {
      getAccessToken: function (options) {
        state.ssoRequests.push(options || {});
        return new Promise(function (resolve, reject) {
          setTimeout(function () {
            if (scenario.sso.token) {
              resolve(scenario.sso.token);
            } else {
              reject({ code: scenario.sso.error || 13001, name: "Error", message: "fake single sign-on failed" });
            }
          }, 0);
        });
      },
    };
  }
  if (scenario.email) {
    window.Office.context.mailbox.userProfile = { emailAddress: scenario.email, displayName: scenario.email };
  }

  window.__fakeOffice = {
    state: function () {
      return JSON.parse(JSON.stringify({
        subject: state.subject, bodyText: state.bodyText, bodyHtml: state.bodyHtml, headers: state.headers,
        sessionData: state.sessionData, roaming: state.roaming, sent: state.sent, completed: state.completed,
        attachments: state.attachments.map(function (a) { return a.name; }), calls: state.calls,
        contentReads: state.contentReads || 0, ssoRequests: state.ssoRequests,
      }));
    },
    // Runs a launch-event handler the way Outlook does and records what it passed to event.completed.
    launch: function (name) {
      state.completed = null;
      associated[name]({ completed: function (options) { state.completed = options || {}; } });
    },
    addAttachment: function (a) {
      state.attachments.push(attachment(a));
      fire("olkAttachmentsChanged");
    },
    addRecipient: function (email, name) {
      state.to.push({ emailAddress: email, displayName: name || "" });
      fire("olkRecipientsChanged");
    },
  };
})();
