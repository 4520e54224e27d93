/* Zegel's event handlers: the content filter on send (Smart Alerts) and a policy refresh on compose.
 *
 * Plain ES2016 (promise chains rather than async functions) without imports or DOM: classic Outlook
 * on Windows runs this file in a JavaScript-only runtime, the other Outlooks in commands.html. The
 * server serving it puts `var ZEGEL_BASE_URL = "…";` in front, so the handlers find the server without
 * a page location.
 *
 * On send: POST /api/v1/scan with the draft (attachments included), then apply the tenant's decision through event.completed:
 * - allow: send;
 * - notify: block once with the findings and a "Send anyway" button;
 * - auto: block this send, switch Zegel on and open the pane with the verdict (the sender may switch it
 *   off there);
 * - force: block with a clear message and open the pane.
 * A draft the pane already sent securely (it carries X-Zegel-Message, or X-Zegel-Upload-Request when it
 * is an upload request's notification) always goes; a draft the pane has Zegel switched on for, or
 * marked as an upload request, never goes plain (see "The pane's state" below). The handlers sign in
 * with Office single sign-on (else the pane's stored token), so the check works without the pane ever
 * having been opened. When the server is unreachable, or no sign-in is possible, the handler fails
 * closed for tenants whose policy forces protection, and open with a warning otherwise.
 */

var ZEGEL_HEADER = "X-Zegel-Message";
var ZEGEL_UPLOAD_REQUEST_HEADER = "X-Zegel-Upload-Request";
var ZEGEL_TOKEN_KEY = "zegelToken";
var ZEGEL_FORCES_KEY = "zegelPolicyForces";
var ZEGEL_VERDICT_KEY = "zegelVerdict";
var ZEGEL_PANE_COMMAND = "zegelComposeButton";
// Session data the compose pane keeps for its draft (see "The pane's state" below).
var ZEGEL_PANE_KEY = "zegelPane";
var ZEGEL_SEND_PRESSED_KEY = "zegelSendPressed";

var ZEGEL_TEXTS = {
  nl: {
    notify: "Zegel vond gevoelige informatie: {found}. Wij raden u aan deze e-mail veilig te versturen met Zegel.",
    auto: "Zegel vond gevoelige informatie: {found}. Zegel is ingeschakeld; controleert u de opties in het Zegel-venster en verstuurt u opnieuw.",
    force: "Deze e-mail bevat gevoelige informatie: {found}. Uw organisatie verplicht veilig versturen: verstuurt u hem met Zegel.",
    paneOn: "Zegel staat aan voor deze e-mail. Bevestig de ontvangers en bestanden in het Zegel-venster om hem veilig te versturen.",
    paneOnUploadRequest: "Deze e-mail is een beveiligd uploadverzoek. Bevestig de ontvangers in het Zegel-venster om het te versturen.",
    openPane: "Open Zegel",
    unreachableOpen: "Zegel kon deze e-mail niet controleren (server niet bereikbaar). Controleert u zelf of hij gevoelige informatie bevat.",
    unreachableClosed: "Zegel kon deze e-mail niet controleren (server niet bereikbaar) en uw organisatie verplicht controle. Probeert u het later opnieuw of verstuurt u met Zegel.",
    external: "{count} ontvanger(s) buiten uw organisatie.",
    kinds: {
      nl_bsn: "BSN", iban: "IBAN", se_personnummer: "Zweeds persoonsnummer", credit_card: "creditcardnummer",
      nl_phone: "telefoonnummer", email: "e-mailadres", trigger_word: "", activation_word: "activeringswoord",
      unscannable: "bijlage die niet gelezen kon worden", other: "gevoelige gegevens",
    },
  },
  en: {
    notify: "Zegel found sensitive information: {found}. We recommend sending this e-mail securely with Zegel.",
    auto: "Zegel found sensitive information: {found}. Zegel is switched on; check the options in the Zegel pane and send again.",
    force: "This e-mail contains sensitive information: {found}. Your organisation requires secure sending: send it with Zegel.",
    paneOn: "Zegel is on for this e-mail. Confirm the recipients and files in the Zegel pane to send it securely.",
    paneOnUploadRequest: "This e-mail is a secure upload request. Confirm the recipients in the Zegel pane to send it.",
    openPane: "Open Zegel",
    unreachableOpen: "Zegel could not check this e-mail (server unreachable). Please check yourself that it contains no sensitive information.",
    unreachableClosed: "Zegel could not check this e-mail (server unreachable) and your organisation requires the check. Try again later or send it with Zegel.",
    external: "{count} recipient(s) outside your organisation.",
    kinds: {
      nl_bsn: "BSN (Dutch citizen service number)", iban: "IBAN", se_personnummer: "Swedish personal identity number",
      credit_card: "payment card number", nl_phone: "phone number", email: "e-mail address", trigger_word: "",
      activation_word: "activation word", unscannable: "attachment that could not be read", other: "sensitive data",
    },
  },
  sv: {
    notify: "Zegel hittade känslig information: {found}. Vi rekommenderar att skicka detta säkert med Zegel.",
    auto: "Zegel hittade känslig information: {found}. Zegel är påslaget; kontrollera alternativen i Zegel-fönstret och skicka igen.",
    force: "Detta e-postmeddelande innehåller känslig information: {found}. Din organisation kräver säker sändning: skicka det med Zegel.",
    paneOn: "Zegel är påslaget för detta e-postmeddelande. Bekräfta mottagarna och filerna i Zegel-fönstret för att skicka det säkert.",
    paneOnUploadRequest: "Detta e-postmeddelande är en säker uppladdningsbegäran. Bekräfta mottagarna i Zegel-fönstret för att skicka den.",
    openPane: "Öppna Zegel",
    unreachableOpen: "Zegel kunde inte kontrollera meddelandet (servern kan inte nås). Kontrollera själv att det inte innehåller känslig information.",
    unreachableClosed: "Zegel kunde inte kontrollera meddelandet (servern kan inte nås) och din organisation kräver kontrollen. Försök igen senare eller skicka med Zegel.",
    external: "{count} mottagare utanför din organisation.",
    kinds: {
      nl_bsn: "BSN (nederländskt personnummer)", iban: "IBAN", se_personnummer: "personnummer", credit_card: "kortnummer",
      nl_phone: "telefonnummer", email: "e-postadress", trigger_word: "", activation_word: "aktiveringsord",
      unscannable: "bilaga som inte kunde läsas", other: "känsliga uppgifter",
    },
  },
};

// The most attachment bytes the on-send check reads and uploads (base64 adds a third on the wire); the
// server checks again on upload, and the compose pane scans what it sends.
var ZEGEL_ATTACHMENTS_MAX = 25 * 1024 * 1024;

// Smart Alerts shows at most this many characters of errorMessage.
var ZEGEL_MESSAGE_MAX = 500;

function zegelTexts() {
  var tag = String((Office.context && Office.context.displayLanguage) || "en").slice(0, 2).toLowerCase();
  return ZEGEL_TEXTS[tag] || ZEGEL_TEXTS.en;
}

function zegelFill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

function zegelBaseUrl() {
  var base = typeof ZEGEL_BASE_URL === "string" ? ZEGEL_BASE_URL : "";
  return base.replace(/\/+$/, "");
}

function zegelCall(target, method, args) {
  return new Promise((resolve, reject) => {
    if (!target || typeof target[method] !== "function") {
      reject(new Error("Outlook does not offer " + method));
      return;
    }
    target[method].apply(target, (args || []).concat([(result) => {
      if (result.status === Office.AsyncResultStatus.Succeeded) {
        resolve(result.value);
      } else {
        reject(new Error(result.error ? result.error.message : method + " failed"));
      }
    }]));
  });
}

function zegelRoaming(key) {
  var settings = Office.context.roamingSettings;
  return settings ? settings.get(key) : undefined;
}

function zegelAlreadySent(item) {
  if (!item.internetHeaders) {
    return Promise.resolve(false);
  }
  return zegelCall(item.internetHeaders, "getAsync", [[ZEGEL_HEADER, ZEGEL_UPLOAD_REQUEST_HEADER]]).then(
    (headers) => Boolean(headers && (headers[ZEGEL_HEADER] || headers[ZEGEL_UPLOAD_REQUEST_HEADER])),
    () => false
  );
}

/*
 * The draft's file attachments as [{name, content_base64}], read one after another. Outlook hands file
 * contents over base64-encoded, and the scan API takes them that way in JSON: classic Outlook's
 * JavaScript-only runtime has no FormData or Blob (and no atob to decode), so this file always sends
 * JSON rather than multipart, one code path for every Outlook. Attached items and cloud links have no
 * file content and are left out, as are files past ZEGEL_ATTACHMENTS_MAX and any Outlook will not read.
 */
function zegelReadAttachments(item) {
  if (typeof item.getAttachmentsAsync !== "function" || typeof item.getAttachmentContentAsync !== "function") {
    return Promise.resolve([]);
  }
  var enums = Office.MailboxEnums || {};
  var fileType = (enums.AttachmentType && enums.AttachmentType.File) || "file";
  var base64 = (enums.AttachmentContentFormat && enums.AttachmentContentFormat.Base64) || "base64";
  return zegelCall(item, "getAttachmentsAsync").then((attachments) => {
    var total = 0;
    var files = (attachments || []).filter((a) => {
      if (a.attachmentType !== fileType || total + (a.size || 0) > ZEGEL_ATTACHMENTS_MAX) {
        return false;
      }
      total += a.size || 0;
      return true;
    });
    var read = [];
    return files
      .reduce(
        (chain, a) =>
          chain.then(() =>
            zegelCall(item, "getAttachmentContentAsync", [a.id]).then(
              (content) => {
                if (content && content.format === base64 && typeof content.content === "string") {
                  read.push({ name: a.name, content_base64: content.content });
                }
              },
              () => undefined
            )
          ),
        Promise.resolve()
      )
      .then(() => read);
  }, () => []);
}

function zegelReadDraft(item) {
  return Promise.all([
    zegelCall(item.subject, "getAsync"),
    zegelCall(item.body, "getAsync", [Office.CoercionType.Text]),
    zegelCall(item.body, "getAsync", [Office.CoercionType.Html]),
    zegelCall(item.to, "getAsync"),
    zegelCall(item.cc, "getAsync"),
    zegelCall(item.bcc, "getAsync"),
    zegelReadAttachments(item),
  ]).then((values) => {
    var recipients = [];
    [["to", values[3]], ["cc", values[4]], ["bcc", values[5]]].forEach((pair) => {
      (pair[1] || []).forEach((r) => recipients.push({ email: r.emailAddress, kind: pair[0] }));
    });
    var draft = { subject: values[0] || "", body_text: values[1] || "", body_html: values[2] || "", recipients: recipients };
    if (values[6].length > 0) {
      draft.attachments = values[6];
    }
    return draft;
  });
}

function zegelRequest(method, path, body, token) {
  var headers = { Accept: "application/json" };
  if (token) {
    headers.Authorization = "Bearer " + token;
  }
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
  }
  return fetch(zegelBaseUrl() + path, {
    method: method,
    headers: headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  }).then((response) => {
    if (!response.ok) {
      var failure = new Error("HTTP " + response.status);
      failure.status = response.status;
      throw failure;
    }
    return response.json();
  });
}

/*
 * Sign-in without the pane. The handlers ask Office for a single sign-on token (Microsoft Entra ID,
 * for the app registration in the manifest's WebApplicationInfo) without prompting: an event handler
 * has no window to sign in or consent in, so a user who never consented gets none here and signs in
 * once in the pane. The developer fallback is the sender token the pane stored in the roaming settings.
 */
var ZEGEL_SSO_OPTIONS = { allowSignInPrompt: false, allowConsentPrompt: false, forMSGraphAccess: false };

/** The bearer tokens to try, best first: [] when no sign-in is possible. */
function zegelTokens() {
  var stored = zegelRoaming(ZEGEL_TOKEN_KEY);
  var fallback = typeof stored === "string" && stored ? [stored] : [];
  var auth = Office.auth || (typeof OfficeRuntime !== "undefined" ? OfficeRuntime.auth : undefined);
  if (!auth || typeof auth.getAccessToken !== "function") {
    return Promise.resolve(fallback);
  }
  return Promise.resolve()
    .then(() => auth.getAccessToken(ZEGEL_SSO_OPTIONS))
    .then(
      (token) => (typeof token === "string" && token ? [token].concat(fallback) : fallback),
      () => fallback
    );
}

/**
 * A signed-in request: each token in turn until the server accepts one. Rejects with `noSignIn` set
 * when there is no token or the server refused every one (401), else with the HTTP status or the
 * network error.
 */
function zegelFetchJson(method, path, body) {
  return zegelTokens().then((tokens) => {
    var attempt = (index) => {
      if (index >= tokens.length) {
        var failure = new Error("no sign-in");
        failure.noSignIn = true;
        return Promise.reject(failure);
      }
      return zegelRequest(method, path, body, tokens[index]).catch((failure) =>
        failure && failure.status === 401 ? attempt(index + 1) : Promise.reject(failure)
      );
    };
    return attempt(0);
  });
}

/**
 * Whether the sender's tenant forces protection, asked without sign-in (GET /api/v1/policy?domain=) and
 * remembered; when the server cannot tell, what was remembered; undefined when nothing is known.
 */
function zegelPolicyForces() {
  var profile = Office.context.mailbox && Office.context.mailbox.userProfile;
  var address = String((profile && profile.emailAddress) || "");
  var domain = address.slice(address.lastIndexOf("@") + 1);
  var remembered = zegelRoaming(ZEGEL_FORCES_KEY);
  if (address.indexOf("@") < 0 || !domain) {
    return Promise.resolve(remembered);
  }
  return zegelRequest("GET", "/api/v1/policy?domain=" + encodeURIComponent(domain)).then(
    (hint) => {
      if (!hint || typeof hint.policy_forces !== "boolean") {
        return remembered;
      }
      Office.context.roamingSettings.set(ZEGEL_FORCES_KEY, hint.policy_forces);
      return zegelCall(Office.context.roamingSettings, "saveAsync").then(
        () => hint.policy_forces,
        () => hint.policy_forces
      );
    },
    () => remembered
  );
}

/**
 * No sign-in was possible (no single sign-on token, no stored token, or none the server accepts): when
 * the tenant forces protection the send is blocked, with the pane a click away to sign in; otherwise
 * the sender is warned and may send, as when the server is unreachable.
 */
function zegelNoSignIn(texts) {
  var signin = zegelSigninTexts();
  return zegelPolicyForces().then((forces) => {
    if (forces === true) {
      return {
        allowEvent: false,
        errorMessage: signin.closed,
        cancelLabel: texts.openPane,
        commandId: ZEGEL_PANE_COMMAND,
      };
    }
    return {
      allowEvent: false,
      errorMessage: signin.open,
      sendModeOverride: Office.MailboxEnums.SendModeOverride.PromptUser,
    };
  });
}

var ZEGEL_SIGNIN_TEXTS = {
  nl: {
    closed: "Zegel kon u niet aanmelden en uw organisatie verplicht controle van uitgaande e-mail. Open Zegel om u aan te melden en verstuur daarna opnieuw.",
    open: "Zegel kon u niet aanmelden en deze e-mail dus niet controleren. Controleer zelf of hij gevoelige informatie bevat.",
  },
  en: {
    closed: "Zegel could not sign you in, and your organisation requires outgoing e-mail to be checked. Open Zegel to sign in, then send again.",
    open: "Zegel could not sign you in, so it could not check this e-mail. Please check yourself that it contains no sensitive information.",
  },
  sv: {
    closed: "Zegel kunde inte logga in dig, och din organisation kräver att utgående e-post kontrolleras. Öppna Zegel för att logga in och skicka sedan igen.",
    open: "Zegel kunde inte logga in dig och kunde därför inte kontrollera meddelandet. Kontrollera själv att det inte innehåller känslig information.",
  },
};

function zegelSigninTexts() {
  var tag = String((Office.context && Office.context.displayLanguage) || "en").slice(0, 2).toLowerCase();
  return ZEGEL_SIGNIN_TEXTS[tag] || ZEGEL_SIGNIN_TEXTS.en;
}

/**
 * What the verdict found, in the sender's words: "BSN 111222333; IBAN NL91…; \u201cvertrouwelijk\u201d". A trigger
 * word is shown in quotes without a kind, other kinds by their name and (as the policy allows) the values
 * found; never the internal kind codes.
 */
function zegelFound(decision, texts) {
  var names = (texts || ZEGEL_TEXTS.en).kinds;
  var parts = (decision.reasons || []).map((reason) => {
    var terms = (reason.terms || []).slice(0, 3);
    if (reason.kind === "trigger_word" && terms.length > 0) {
      return terms.map((t) => "\u201c" + t + "\u201d").join(", ");
    }
    var name = Object.prototype.hasOwnProperty.call(names, reason.kind) && names[reason.kind] ? names[reason.kind] : names.other;
    if (reason.kind === "activation_word" && terms.length > 0) {
      return name + " " + terms.map((t) => "\u201c" + t + "\u201d").join(", ");
    }
    return terms.length > 0 ? name + " " + terms.join(", ") : name;
  });
  return parts.join("; ") || names.other;
}

function zegelWarnings(decision, texts) {
  return (decision.warnings || [])
    .filter((w) => w && w.type === "external_recipients")
    .map((w) => zegelFill(texts.external, { count: w.count }))
    .join(" ");
}

function zegelMessage(text) {
  return text.length > ZEGEL_MESSAGE_MAX ? text.slice(0, ZEGEL_MESSAGE_MAX - 1) + "…" : text;
}

/** Leaves the verdict for the pane, which reads it from the item's session data when it opens. */
function zegelLeaveVerdict(item, decision) {
  if (!item.sessionData) {
    return Promise.resolve();
  }
  // The pane scans again when it opens; the verdict in session data only saves it a round trip.
  return zegelCall(item.sessionData, "setAsync", [ZEGEL_VERDICT_KEY, JSON.stringify(decision)]).catch(() => undefined);
}

/** The options for event.completed that apply `decision`. */
function zegelCompletion(decision, texts) {
  var found = zegelFound(decision, texts);
  var warnings = zegelWarnings(decision, texts);
  switch (decision.action) {
    case "notify":
      return {
        allowEvent: false,
        errorMessage: zegelMessage(zegelFill(texts.notify, { found: found }) + (warnings ? " " + warnings : "")),
        sendModeOverride: Office.MailboxEnums.SendModeOverride.PromptUser,
      };
    case "auto":
      return {
        allowEvent: false,
        errorMessage: zegelMessage(zegelFill(texts.auto, { found: found })),
        cancelLabel: texts.openPane,
        commandId: ZEGEL_PANE_COMMAND,
        contextData: JSON.stringify(decision),
      };
    case "force":
      return {
        allowEvent: false,
        errorMessage: zegelMessage(zegelFill(texts.force, { found: found })),
        cancelLabel: texts.openPane,
        commandId: ZEGEL_PANE_COMMAND,
        contextData: JSON.stringify(decision),
      };
    default:
      return { allowEvent: true };
  }
}

function zegelUnreachable(texts) {
  if (zegelRoaming(ZEGEL_FORCES_KEY) === true) {
    return { allowEvent: false, errorMessage: texts.unreachableClosed };
  }
  return {
    allowEvent: false,
    errorMessage: texts.unreachableOpen,
    sendModeOverride: Office.MailboxEnums.SendModeOverride.PromptUser,
  };
}

/*
 * The pane's state for the draft. The compose pane writes {"on", "switchedOff", "forced", "kind", …} to
 * the item's session data under ZEGEL_PANE_KEY whenever the sender (or the content filter) changes them,
 * so Outlook's own Send honours it even when the pane is closed:
 * - Zegel on (by the sender, automatically, or forced), or the kind an upload request ("upload_request")
 *   that the sender did not switch off: the send is stopped, whatever the content filter says and
 *   whether or not the server answers, and the alert's button opens the pane at the wizard (the pane
 *   finds ZEGEL_SEND_PRESSED_KEY); the mail never leaves in plain text;
 * - switched off by the sender after the filter switched it on: an "auto" verdict lets the mail go
 *   without asking again (a forced verdict still stops it).
 */

/** The pane's state for `item`, or null when the pane never said (or this Outlook has no session data). */
function zegelPaneState(item) {
  if (!item.sessionData) {
    return Promise.resolve(null);
  }
  return zegelCall(item.sessionData, "getAsync", [ZEGEL_PANE_KEY]).then(
    (text) => {
      try {
        var state = text ? JSON.parse(text) : null;
        return state && typeof state === "object" ? state : null;
      } catch (e) {
        return null;
      }
    },
    () => null
  );
}

/**
 * Whether the pane has Zegel on for the draft. An upload request counts as on unless the sender switched
 * Zegel off: its draft only asks for files once the pane has sent it, and must never leave as it is.
 */
function zegelPaneOn(pane) {
  return Boolean(pane && (pane.on === true || (pane.kind === "upload_request" && pane.switchedOff !== true)));
}

/** The options that stop a send because Zegel is on in the pane; the pane opens at the wizard. */
function zegelPaneOnCompletion(item, texts, pane) {
  var text = pane && pane.kind === "upload_request" ? texts.paneOnUploadRequest : texts.paneOn;
  var options = {
    allowEvent: false,
    errorMessage: zegelMessage(text),
    cancelLabel: texts.openPane,
    commandId: ZEGEL_PANE_COMMAND,
    contextData: JSON.stringify({ open: "wizard" }),
  };
  return zegelCall(item.sessionData, "setAsync", [ZEGEL_SEND_PRESSED_KEY, "1"]).then(
    () => options,
    () => options
  );
}

/** Whether the sender's choice in the pane lets a verdict go: automatic protection switched off. */
function zegelPaneAllows(pane, decision) {
  return Boolean(pane && pane.switchedOff === true && !pane.on && decision.action === "auto");
}

/** The options for event.completed on sending `item`. */
function zegelCheckSend(item, texts) {
  return zegelAlreadySent(item).then((sent) => {
    if (sent) {
      return { allowEvent: true };
    }
    return zegelPaneState(item).then((pane) => {
      if (zegelPaneOn(pane)) {
        return zegelPaneOnCompletion(item, texts, pane);
      }
      return zegelReadDraft(item).then((draft) =>
        zegelFetchJson("POST", "/api/v1/scan", draft).then(
          (answer) => {
            if (!answer || !answer.decision) {
              return zegelUnreachable(texts);
            }
            if (zegelPaneAllows(pane, answer.decision)) {
              return { allowEvent: true };
            }
            var options = zegelCompletion(answer.decision, texts);
            var opensPane = answer.decision.action === "auto" || answer.decision.action === "force";
            return opensPane ? zegelLeaveVerdict(item, answer.decision).then(() => options) : options;
          },
          (failure) => (failure && failure.noSignIn ? zegelNoSignIn(texts) : zegelUnreachable(texts))
        )
      );
    });
  });
}

/** OnMessageSend. */
function onMessageSendHandler(event) {
  var texts = zegelTexts();
  return Promise.resolve()
    .then(() => zegelCheckSend(Office.context.mailbox.item, texts))
    .catch(() => zegelUnreachable(texts))
    .then((options) => event.completed(options));
}

/** OnNewMessageCompose: remembers whether the tenant forces protection, for when the server is down. */
function onNewMessageComposeHandler(event) {
  return zegelFetchJson("GET", "/api/v1/settings")
    .then((settings) => {
      if (typeof settings.policy_forces === "boolean") {
        Office.context.roamingSettings.set(ZEGEL_FORCES_KEY, settings.policy_forces);
        return zegelCall(Office.context.roamingSettings, "saveAsync");
      }
      return undefined;
    })
    // Keep what was remembered: an unreachable server must not lower the guard.
    .catch(() => undefined)
    .then(() => event.completed());
}

if (typeof Office !== "undefined" && Office.actions && typeof Office.actions.associate === "function") {
  Office.actions.associate("onMessageSendHandler", onMessageSendHandler);
  Office.actions.associate("onNewMessageComposeHandler", onNewMessageComposeHandler);
}

if (typeof module === "object" && module.exports) {
  module.exports = { onMessageSendHandler, onNewMessageComposeHandler, zegelCompletion, zegelFound, zegelReadAttachments, zegelTokens, zegelPaneAllows };
}
