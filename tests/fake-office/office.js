// A fake Office.js that plays Outlook for the browser tests: one draft (subject, body, recipients,
// attachments with their contents, internet headers, session data), or with `mode: "read"` a sent item
// in read mode (its raw `internetHeaders` for getAllInternetHeadersAsync), roaming settings, the display
// language, the signed-in user (`email`), Office single sign-on (`sso`: `{token}` from the tests' local
// OpenID Connect issuer, or `{error: code}`; without it this Office has no Office.auth), event handlers
// and `event.completed`. The test writes `window.ZEGEL_FAKE_SCENARIO` in front of this file and reads
// what the pane or launchevent.js did through `window.__fakeOffice`.
//
// Like Outlook, which keeps one draft for the task pane and the event runtime, every page of the same
// scenario in one browser shares the draft: it lives in localStorage (keyed by the scenario), each change
// is written there and other pages pick it up through the `storage` event. So the pane can switch Zegel
// on in one page and the on-send handler in commands.html sees it.
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

  // The draft as Outlook keeps it, shared by the pages of this scenario.
  var SHARED = ["subject", "bodyText", "bodyHtml", "to", "cc", "bcc", "attachments", "headers", "sessionData", "roaming", "sent", "outbox", "calls"];
  var storageKey = (function () {
    var text = JSON.stringify(scenario);
    var hash = 0;
    for (var i = 0; i < text.length; i += 1) {
      hash = (hash * 31 + text.charCodeAt(i)) | 0;
    }
    return "zegel-fake-office:" + hash;
  })();
  state.outbox = [];
  function persist() {
    var shared = {};
    SHARED.forEach(function (k) { shared[k] = state[k]; });
    try { window.localStorage.setItem(storageKey, JSON.stringify(shared)); } catch (e) { /* no storage: one page only */ }
  }
  function restore(text) {
    if (!text) {
      return;
    }
    var shared = JSON.parse(text);
    SHARED.forEach(function (k) { if (k in shared) { state[k] = shared[k]; } });
  }
  try {
    var stored = window.localStorage.getItem(storageKey);
    if (stored) {
      restore(stored);
      attachmentCount = state.attachments.length + 100;
    } else {
      persist();
    }
    window.addEventListener("storage", function (e) { if (e.key === storageKey) { restore(e.newValue); } });
  } catch (e) { /* no storage */ }

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
    persist();
  }

  var item = {
    itemType: "message",
    subject: {
      getAsync: function () { done(arguments, state.subject); },
      setAsync: function (data) { state.subject = String(data); record("subject.setAsync"); done(arguments); },
    },
    body: {
      getAsync: function (coercion) { done(arguments, coercion === "html" ? state.bodyHtml : state.bodyText); },
      setAsync: function (data, options) {
        record("body.setAsync");
        var html = options && options.coercionType === "html";
        state.bodyHtml = html ? data : "<p>" + data + "</p>";
        state.bodyText = html ? data.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim() : data;
        persist();
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
      state.attachments = state.attachments.filter(function (a) { return a.id !== id; });
      record("removeAttachmentAsync");
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
        Object.assign(state.headers, headers);
        record("internetHeaders.setAsync");
        done(arguments);
      },
    },
    // Mailbox 1.11: string values by name, for as long as the draft is open.
    sessionData: {
      getAsync: function (key) { done(arguments, state.sessionData[key] || ""); },
      setAsync: function (key, value) { state.sessionData[key] = String(value); persist(); done(arguments); },
      removeAsync: function (key) { delete state.sessionData[key]; persist(); done(arguments); },
      getAllAsync: function () { done(arguments, Object.assign({}, state.sessionData)); },
    },
    addHandlerAsync: function (type, handler) {
      (state.handlers[type] = state.handlers[type] || []).push(handler);
      done(arguments);
    },
  };
  if (scenario.canSend !== false) {
    item.sendAsync = function () {
      state.sent = true;
      // What leaves the sender's mailbox (and stays in Sent Items).
      state.outbox.push({
        subject: state.subject, bodyHtml: state.bodyHtml, bodyText: state.bodyText, headers: Object.assign({}, state.headers),
        to: state.to.map(function (r) { return r.emailAddress; }), cc: state.cc.map(function (r) { return r.emailAddress; }),
        bcc: state.bcc.map(function (r) { return r.emailAddress; }), attachments: state.attachments.map(function (a) { return a.name; }),
      });
      record("sendAsync");
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

  // The Smart Alerts dialog: the add-in's message, "Don't send", and either the add-in's button (its
  // cancelLabel, running commandId) or "Send anyway" (sendModeOverride: promptUser).
  function showAlert(options) {
    if (options.allowEvent !== false || !document.body) {
      return;
    }
    var box = document.createElement("div");
    box.id = "fake-alert";
    box.setAttribute("role", "alertdialog");
    box.style.cssText = "font: 14px 'Segoe UI', system-ui, sans-serif; margin: 24px; padding: 20px; max-width: 360px; " +
      "border: 1px solid #c8c8c8; border-radius: 8px; box-shadow: 0 6px 24px rgba(0,0,0,.18); background: #fff;";
    var title = document.createElement("h2");
    title.textContent = "Zegel";
    title.style.cssText = "font-size: 16px; margin: 0 0 10px;";
    var text = document.createElement("p");
    text.id = "fake-alert-message";
    text.textContent = options.errorMessage || "";
    var buttons = document.createElement("div");
    buttons.style.cssText = "display: flex; gap: 8px; justify-content: flex-end; margin-top: 16px;";
    var button = function (id, label, primary) {
      var b = document.createElement("button");
      b.id = id;
      b.textContent = label;
      b.style.cssText = "font: inherit; padding: 6px 14px; border-radius: 4px; border: 1px solid #8a8886; " +
        (primary ? "background: #0f6cbd; color: #fff; border-color: #0f6cbd;" : "background: #fff;");
      buttons.appendChild(b);
      return b;
    };
    if (options.commandId) {
      button("fake-alert-command", options.cancelLabel || "OK", true).onclick = function () {
        window.location.href = "taskpane.html";
      };
    }
    // Outlook's own buttons, in Outlook's display language.
    var lang = String(scenario.language || "en").slice(0, 2);
    var own = { nl: ["Toch verzenden", "Niet verzenden"], sv: ["Skicka ändå", "Skicka inte"] }[lang] || ["Send anyway", "Don't send"];
    if (options.sendModeOverride === "promptUser") {
      button("fake-alert-send-anyway", own[0], false);
    }
    button("fake-alert-dont-send", own[1], !options.commandId);
    box.appendChild(title);
    box.appendChild(text);
    box.appendChild(buttons);
    document.body.appendChild(box);
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
        saveAsync: function () { persist(); done(arguments); },
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
        contentReads: state.contentReads || 0, ssoRequests: state.ssoRequests, outbox: state.outbox,
      }));
    },
    // Runs a launch-event handler the way Outlook does and records what it passed to event.completed; a
    // stopped send shows as Outlook's Smart Alerts dialog does, and its button runs the command it names
    // (the compose button opens the task pane, here by loading taskpane.html).
    launch: function (name) {
      state.completed = null;
      associated[name]({
        completed: function (options) {
          state.completed = options || {};
          showAlert(state.completed);
        },
      });
    },
    addAttachment: function (a) {
      state.attachments.push(attachment(a));
      persist();
      fire("olkAttachmentsChanged");
    },
    addRecipient: function (email, name) {
      state.to.push({ emailAddress: email, displayName: name || "" });
      persist();
      fire("olkRecipientsChanged");
    },
  };
})();
