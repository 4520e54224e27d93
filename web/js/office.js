// The only place the pane touches Office.js. Every function turns one of Office's callback APIs into a
// promise of plain JSON-like values, so the Rust side (src/office.rs) never sees an Office object.

function mailbox() {
  if (typeof Office === "undefined" || !Office.context || !Office.context.mailbox) {
    throw new Error("Office.js is not available: open Zegel from Outlook");
  }
  return Office.context.mailbox;
}

function item() {
  const current = mailbox().item;
  if (!current) {
    throw new Error("no mail item is open");
  }
  return current;
}

// Calls `fn(...args, callback)` and settles with the AsyncResult's value or error.
function call(target, method, ...args) {
  return new Promise((resolve, reject) => {
    if (!target || typeof target[method] !== "function") {
      reject(new Error(`Outlook does not offer ${method} here`));
      return;
    }
    target[method](...args, (result) => {
      if (result.status === Office.AsyncResultStatus.Succeeded) {
        resolve(result.value);
      } else {
        reject(new Error(result.error ? result.error.message : `${method} failed`));
      }
    });
  });
}

function addresses(details) {
  return (details || []).map((d) => ({ email: d.emailAddress || "", name: d.displayName || "" }));
}

/** Waits for Office.js; resolves with the host facts the pane needs. */
export function ready() {
  if (typeof Office === "undefined" || typeof Office.onReady !== "function") {
    return Promise.reject(new Error("Office.js did not load"));
  }
  return Office.onReady().then((info) => ({
    host: String(info && info.host ? info.host : ""),
    displayLanguage: String(Office.context.displayLanguage || "en-US"),
  }));
}

/** The open draft: subject, body, recipients and attachments. */
export async function readItem() {
  const current = item();
  const [subject, bodyText, bodyHtml, to, cc, bcc, attachments] = await Promise.all([
    call(current.subject, "getAsync"),
    call(current.body, "getAsync", Office.CoercionType.Text),
    call(current.body, "getAsync", Office.CoercionType.Html),
    call(current.to, "getAsync"),
    call(current.cc, "getAsync"),
    call(current.bcc, "getAsync"),
    call(current, "getAttachmentsAsync"),
  ]);
  return {
    subject: subject || "",
    bodyText: bodyText || "",
    bodyHtml: bodyHtml || "",
    to: addresses(to),
    cc: addresses(cc),
    bcc: addresses(bcc),
    attachments: (attachments || []).map((a) => ({
      id: a.id,
      name: a.name,
      size: a.size || 0,
      inline: Boolean(a.isInline),
      file: a.attachmentType === Office.MailboxEnums.AttachmentType.File,
    })),
  };
}

/**
 * The internet headers of the item open in read mode (a sent item), as one raw header block, or "" when
 * this Outlook cannot tell (Mailbox 1.8's getAllInternetHeadersAsync is missing, or the item has none).
 */
export async function readHeaders() {
  const current = item();
  if (typeof current.getAllInternetHeadersAsync !== "function") {
    return "";
  }
  return (await call(current, "getAllInternetHeadersAsync")) || "";
}

/** An attachment's content as a Blob (Outlook hands it over base64-encoded). */
export async function attachmentBlob(id) {
  const content = await call(item(), "getAttachmentContentAsync", id);
  if (content.format !== Office.MailboxEnums.AttachmentContentFormat.Base64) {
    throw new Error(`attachment ${id} is not a file`);
  }
  const binary = atob(content.content);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) {
    bytes[i] = binary.charCodeAt(i);
  }
  return new Blob([bytes]);
}

/**
 * Turns the draft into the sent record: new body (and subject, when one is given), attachments removed,
 * the Zegel header set.
 */
export async function sealDraft(bodyHtml, attachmentIds, headerName, headerValue, subject) {
  const current = item();
  if (subject) {
    await call(current.subject, "setAsync", subject);
  }
  await call(current.body, "setAsync", bodyHtml, { coercionType: Office.CoercionType.Html });
  for (const id of attachmentIds) {
    await call(current, "removeAttachmentAsync", id);
  }
  await call(current.internetHeaders, "setAsync", { [headerName]: headerValue });
}

/** Sends the draft when this Outlook can; resolves false when the sender must press Send. */
export async function sendItem() {
  const current = item();
  if (typeof current.sendAsync !== "function") {
    return false;
  }
  await call(current, "sendAsync");
  return true;
}

/** A value the on-send handler left for the pane in the item's session data, or "". */
export async function sessionValue(key) {
  const current = item();
  if (!current.sessionData) {
    return "";
  }
  try {
    return (await call(current.sessionData, "getAsync", key)) || "";
  } catch (_) {
    return "";
  }
}

/** Stores a value in the item's session data, for the on-send handler; false when Outlook has none. */
export async function sessionSet(key, value) {
  const current = item();
  if (!current.sessionData) {
    return false;
  }
  await call(current.sessionData, "setAsync", key, value);
  return true;
}

/** Reads and removes a value from the item's session data; "" when it is not there. */
export async function sessionTake(key) {
  const value = await sessionValue(key);
  if (value) {
    try {
      await call(item().sessionData, "removeAsync", key);
    } catch (_) {
      // Read again next time: the pane acts on it once either way, as it keeps what it did.
    }
  }
  return value;
}

/** A roaming setting of the add-in, or "". */
export function roamingGet(key) {
  const value = mailbox() && Office.context.roamingSettings.get(key);
  return typeof value === "string" ? value : "";
}

/** Stores (or, with "", removes) a roaming setting. */
export function roamingSet(key, value) {
  const settings = Office.context.roamingSettings;
  if (value) {
    settings.set(key, value);
  } else {
    settings.remove(key);
  }
  return call(settings, "saveAsync");
}

/** Calls `listener()` whenever the draft's recipients or attachments change. */
export function onItemChanged(listener) {
  const current = item();
  const events = [Office.EventType.RecipientsChanged, Office.EventType.AttachmentsChanged];
  return Promise.all(events.map((type) => call(current, "addHandlerAsync", type, () => listener())));
}

/**
 * A token for Zegel from Office single sign-on (Microsoft Entra ID, through the manifest's
 * WebApplicationInfo). With `interactive`, Office may ask the user to sign in or consent. Rejects with
 * Office's error (its `code`, e.g. 13000 when this Outlook or manifest has no single sign-on). Office
 * caches the token and renews it; the pane asks again before every request and keeps none.
 */
export function ssoToken(interactive) {
  const auth = typeof Office !== "undefined" ? Office.auth : undefined;
  if (!auth || typeof auth.getAccessToken !== "function") {
    return Promise.reject(Object.assign(new Error("Office single sign-on is not available"), { code: 13000 }));
  }
  return Promise.resolve(
    auth.getAccessToken({ allowSignInPrompt: Boolean(interactive), allowConsentPrompt: Boolean(interactive), forMSGraphAccess: false })
  ).then((token) => {
    if (typeof token !== "string" || token === "") {
      throw Object.assign(new Error("Office returned no token"), { code: 13003 });
    }
    return token;
  });
}
