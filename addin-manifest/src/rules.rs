//! Rules a mail add-in manifest must follow, from Microsoft's [MS-OWEMXML] specification ("Office Web
//! Extensibility Manifest Format"): the `MailApp` type of the 1.1 manifest schema, the mail version
//! overrides 1.0 and 1.1, and the basic types they share. Each check names the element it is about.
//!
//! What is checked:
//! - the root is an `OfficeApp` of type `MailApp` in the 1.1 namespace, with its children in the order
//!   the schema's sequence gives and the required ones present;
//! - simple types: UUID, version (`n[.n[.n[.n]]]`, up to five digits each), culture names, short strings
//!   (1–125 characters), long strings (1–250), URLs (absolute http(s), at most 2048 characters);
//! - enumerations: `Permissions`, rule types and their attributes, form types, `RequestedHeight`
//!   (32–450), extension point types, launch event types and send modes;
//! - the version overrides: 1.0 around 1.1 with the right namespaces and types, `Hosts` and `Resources`
//!   present in 1.1, requirement sets, and each button's label, supertip, icons (16, 32 and 80 pixels)
//!   and action;
//! - `WebApplicationInfo` (Office single sign-on): `Id` a UUID, `Resource` a long string, one or more
//!   `Scope`s; and, from Microsoft's SSO registration rules rather than the schema, `Resource` is
//!   `api://<the add-in's host>/<Id>`, since Entra ID gives Office no token for any other form;
//! - resources: ids unique and at most 32 characters, and every `resid` at most 32 characters and
//!   resolving to a resource of the kind its element needs (image, URL, short or long string).

use std::collections::{HashMap, HashSet};

use crate::tree::{self, Element};

const NS_APP: &str = "http://schemas.microsoft.com/office/appforoffice/1.1";
const NS_OVERRIDES_1_0: &str = "http://schemas.microsoft.com/office/mailappversionoverrides";
const NS_OVERRIDES_1_1: &str = "http://schemas.microsoft.com/office/mailappversionoverrides/1.1";
const NS_BASIC_TYPES: &str = "http://schemas.microsoft.com/office/officeappbasictypes/1.0";

/// The longest short string (`ShortString`).
pub const SHORT_STRING_MAX: usize = 125;
/// The longest long string (`LongString`).
pub const LONG_STRING_MAX: usize = 250;
/// The longest URL.
pub const URL_MAX: usize = 2048;
/// The longest resource id and `resid`.
pub const RESID_MAX: usize = 32;

/// `MailApp`'s children in schema order: (name, required, may repeat).
const MAIL_APP_SEQUENCE: [(&str, bool, bool); 18] = [
    ("Id", true, false),
    ("AlternateId", false, false),
    ("Version", true, false),
    ("ProviderName", true, false),
    ("DefaultLocale", true, false),
    ("DisplayName", true, false),
    ("Description", true, false),
    ("IconUrl", true, false),
    ("HighResolutionIconUrl", false, false),
    ("SupportUrl", false, false),
    ("AppDomains", false, false),
    ("Hosts", false, false),
    ("Requirements", true, false),
    ("FormSettings", true, false),
    ("Permissions", false, false),
    ("Rule", true, false),
    ("DisableEntityHighlighting", false, false),
    ("VersionOverrides", false, false),
];

/// `VersionOverridesV1_1`'s children in order (mail): (name, required, may repeat).
const OVERRIDES_1_1_SEQUENCE: [(&str, bool, bool); 8] = [
    ("Description", false, false),
    ("Requirements", false, false),
    ("Hosts", true, false),
    ("Resources", true, false),
    ("EquivalentAddins", false, false),
    ("VersionOverrides", false, false),
    ("WebApplicationInfo", false, false),
    ("ExtendedPermissions", false, false),
];

/// The extension point types of a mail host's form factors.
const EXTENSION_POINTS: [&str; 10] = [
    "MessageReadCommandSurface",
    "MessageComposeCommandSurface",
    "AppointmentOrganizerCommandSurface",
    "AppointmentAttendeeCommandSurface",
    "Module",
    "CustomPane",
    "DetectedEntity",
    "LaunchEvent",
    "Events",
    "MobileMessageReadCommandSurface",
];

/// Launch event types for messages.
const LAUNCH_EVENTS: [&str; 7] = [
    "OnNewMessageCompose",
    "OnMessageSend",
    "OnMessageRecipientsChanged",
    "OnMessageAttachmentsChanged",
    "OnMessageFromChanged",
    "OnMessageCompose",
    "OnMessageReadWithCustomHeader",
];

/// Checks `xml`; an empty list means it follows every rule.
pub fn check(xml: &str) -> Vec<String> {
    let mut problems = Vec::new();
    match tree::parse(xml) {
        Ok(root) => check_root(&root, &mut problems),
        Err(error) => problems.push(error),
    }
    problems
}

fn check_root(root: &Element, p: &mut Vec<String>) {
    if root.name != "OfficeApp" || root.ns != NS_APP {
        p.push(format!(
            "the root must be OfficeApp in {NS_APP}, not {{{}}}{}",
            root.ns, root.name
        ));
    }
    if root.attr("xsi:type") != Some("MailApp") {
        p.push("OfficeApp: xsi:type must be MailApp".to_owned());
    }
    check_sequence("OfficeApp", root, &MAIL_APP_SEQUENCE, p);
    if let Some(id) = root.child("Id")
        && !is_uuid(&id.text)
    {
        p.push(format!("Id: '{}' is not a UUID", id.text));
    }
    if let Some(version) = root.child("Version")
        && !is_version(&version.text)
    {
        p.push(format!(
            "Version: '{}' is not n[.n[.n[.n]]] with up to five digits each",
            version.text
        ));
    }
    if let Some(provider) = root.child("ProviderName") {
        check_length("ProviderName", &provider.text, SHORT_STRING_MAX, p);
    }
    if let Some(locale) = root.child("DefaultLocale")
        && !is_culture(&locale.text)
    {
        p.push(format!(
            "DefaultLocale: '{}' is not a culture name like nl-NL",
            locale.text
        ));
    }
    for (name, max, url) in [
        ("DisplayName", SHORT_STRING_MAX, false),
        ("Description", LONG_STRING_MAX, false),
        ("IconUrl", URL_MAX, true),
        ("HighResolutionIconUrl", URL_MAX, true),
        ("SupportUrl", URL_MAX, true),
    ] {
        if let Some(setting) = root.child(name) {
            check_locale_aware(name, setting, max, url, p);
        }
    }
    if let Some(domains) = root.child("AppDomains") {
        for domain in &domains.children {
            check_url("AppDomains/AppDomain", &domain.text, p);
        }
    }
    if let Some(hosts) = root.child("Hosts")
        && !hosts
            .children
            .iter()
            .any(|h| h.attr("Name") == Some("Mailbox"))
    {
        p.push("Hosts: a mail add-in's host is Mailbox".to_owned());
    }
    if let Some(requirements) = root.child("Requirements") {
        let sets: Vec<&Element> = requirements
            .child("Sets")
            .map(|s| s.children.iter().collect())
            .unwrap_or_default();
        if !sets.iter().any(|s| {
            s.attr("Name") == Some("Mailbox") && s.attr("MinVersion").is_some_and(is_version)
        }) {
            p.push("Requirements: needs Sets/Set Name=\"Mailbox\" with a MinVersion".to_owned());
        }
    }
    if let Some(forms) = root.child("FormSettings") {
        check_forms(forms, p);
    }
    const PERMISSIONS: [&str; 4] = [
        "Restricted",
        "ReadItem",
        "ReadWriteItem",
        "ReadWriteMailbox",
    ];
    if let Some(permissions) = root.child("Permissions")
        && !PERMISSIONS.contains(&permissions.text.as_str())
    {
        p.push(format!(
            "Permissions: '{}' is not a permission level",
            permissions.text
        ));
    }
    if let Some(rule) = root.child("Rule") {
        check_rule("Rule", rule, p);
    }
    if let Some(flag) = root.child("DisableEntityHighlighting")
        && !["true", "false", "1", "0"].contains(&flag.text.as_str())
    {
        p.push("DisableEntityHighlighting: must be a boolean".to_owned());
    }
    match root.child("VersionOverrides") {
        Some(overrides) => check_overrides(overrides, p),
        None => {
            p.push("VersionOverrides: needed for the ribbon buttons and launch events".to_owned())
        }
    }
}

/// Children must appear in `sequence`'s order; required ones must be there; none may be unknown.
fn check_sequence(
    path: &str,
    element: &Element,
    sequence: &[(&str, bool, bool)],
    p: &mut Vec<String>,
) {
    let mut position = 0;
    let mut seen: HashSet<&str> = HashSet::new();
    for child in &element.children {
        match sequence.iter().position(|(name, _, _)| *name == child.name) {
            None => p.push(format!("{path}: unexpected element {}", child.name)),
            Some(at) if at < position => p.push(format!(
                "{path}: {} is out of order (it must come before {})",
                child.name, sequence[position].0
            )),
            Some(at) => {
                if !seen.insert(sequence[at].0) && !sequence[at].2 {
                    p.push(format!("{path}: {} appears more than once", child.name));
                }
                position = at;
            }
        }
    }
    for (name, required, _) in sequence {
        if *required && !seen.contains(name) {
            p.push(format!("{path}: required element {name} is missing"));
        }
    }
}

fn check_length(path: &str, text: &str, max: usize, p: &mut Vec<String>) {
    let length = text.chars().count();
    if length == 0 || length > max {
        p.push(format!(
            "{path}: must have 1 to {max} characters, has {length}"
        ));
    }
}

fn check_url(path: &str, url: &str, p: &mut Vec<String>) {
    check_length(path, url, URL_MAX, p);
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let host_ok = rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'));
    if !host_ok
        || url
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '<' || c == '>')
    {
        p.push(format!("{path}: '{url}' is not an absolute http(s) URL"));
    }
}

/// A `*LocaleAwareSetting`: a `DefaultValue` and `Override`s with `Locale` and `Value`.
fn check_locale_aware(path: &str, setting: &Element, max: usize, url: bool, p: &mut Vec<String>) {
    let check_value = |p: &mut Vec<String>, where_: String, value: &str| {
        if url {
            check_url(&where_, value, p);
        } else {
            check_length(&where_, value, max, p);
        }
    };
    match setting.attr("DefaultValue") {
        Some(value) => check_value(p, format!("{path}@DefaultValue"), value),
        None => p.push(format!("{path}: DefaultValue is required")),
    }
    for o in &setting.children {
        if o.name != "Override" {
            p.push(format!("{path}: unexpected element {}", o.name));
            continue;
        }
        if !o.attr("Locale").is_some_and(is_culture) {
            p.push(format!("{path}/Override: Locale must be a culture name"));
        }
        match o.attr("Value") {
            Some(value) => check_value(p, format!("{path}/Override@Value"), value),
            None => p.push(format!("{path}/Override: Value is required")),
        }
    }
}

fn check_forms(forms: &Element, p: &mut Vec<String>) {
    let count = forms.children.iter().filter(|f| f.name == "Form").count();
    if !(1..=2).contains(&count) || count != forms.children.len() {
        p.push("FormSettings: one or two Form elements and nothing else".to_owned());
    }
    for form in &forms.children {
        let kind = form.attr("xsi:type").unwrap_or("");
        if !["ItemRead", "ItemEdit"].contains(&kind) {
            p.push(format!(
                "FormSettings/Form: xsi:type '{kind}' is neither ItemRead nor ItemEdit"
            ));
            continue;
        }
        let Some(desktop) = form
            .children
            .first()
            .filter(|c| c.name == "DesktopSettings")
        else {
            p.push(format!(
                "FormSettings/Form[{kind}]: DesktopSettings must come first"
            ));
            continue;
        };
        match desktop.child("SourceLocation") {
            Some(source) => check_locale_aware(
                &format!("Form[{kind}]/SourceLocation"),
                source,
                URL_MAX,
                true,
                p,
            ),
            None => p.push(format!(
                "Form[{kind}]/DesktopSettings: SourceLocation is required"
            )),
        }
        let height = desktop.child("RequestedHeight");
        if kind == "ItemRead" {
            match height.and_then(|h| h.text.parse::<u32>().ok()) {
                Some(32..=450) => {}
                _ => p.push("Form[ItemRead]: RequestedHeight must be 32 to 450".to_owned()),
            }
        } else if height.is_some() {
            p.push("Form[ItemEdit]: RequestedHeight belongs to read forms only".to_owned());
        }
    }
}

fn check_rule(path: &str, rule: &Element, p: &mut Vec<String>) {
    match rule.attr("xsi:type").unwrap_or("") {
        "RuleCollection" => {
            if !["And", "Or"].contains(&rule.attr("Mode").unwrap_or("")) {
                p.push(format!("{path}: a RuleCollection's Mode is And or Or"));
            }
            if rule.children.is_empty() {
                p.push(format!("{path}: an empty RuleCollection"));
            }
            for child in &rule.children {
                check_rule(&format!("{path}/Rule"), child, p);
            }
        }
        "ItemIs" => {
            if !["Message", "Appointment"].contains(&rule.attr("ItemType").unwrap_or("")) {
                p.push(format!(
                    "{path}: ItemIs needs ItemType Message or Appointment"
                ));
            }
            if let Some(form) = rule.attr("FormType")
                && !["Read", "Edit", "ReadOrEdit"].contains(&form)
            {
                p.push(format!(
                    "{path}: FormType '{form}' is not Read, Edit or ReadOrEdit"
                ));
            }
        }
        "ItemHasAttachment" | "ItemHasKnownEntity" | "ItemHasRegularExpressionMatch" => {}
        other => p.push(format!("{path}: unknown rule type '{other}'")),
    }
}

/// The resources of the 1.1 overrides by kind: id → value.
struct Resources {
    images: HashMap<String, String>,
    urls: HashMap<String, String>,
    short: HashMap<String, String>,
    long: HashMap<String, String>,
}

fn check_overrides(outer: &Element, p: &mut Vec<String>) {
    if outer.ns != NS_OVERRIDES_1_0 || outer.attr("xsi:type") != Some("VersionOverridesV1_0") {
        p.push(format!(
            "VersionOverrides: the outer one is VersionOverridesV1_0 in {NS_OVERRIDES_1_0}"
        ));
    }
    let Some(inner) = outer.child("VersionOverrides") else {
        return p.push(
            "VersionOverrides: launch events need VersionOverridesV1_1 inside V1_0".to_owned(),
        );
    };
    if inner.ns != NS_OVERRIDES_1_1 || inner.attr("xsi:type") != Some("VersionOverridesV1_1") {
        p.push(format!(
            "VersionOverrides/VersionOverrides: must be VersionOverridesV1_1 in {NS_OVERRIDES_1_1}"
        ));
    }
    check_sequence("VersionOverridesV1_1", inner, &OVERRIDES_1_1_SEQUENCE, p);
    if let Some(requirements) = inner.child("Requirements") {
        let sets = requirements.child("Sets");
        let ok = sets.is_some_and(|s| {
            s.ns == NS_BASIC_TYPES
                && s.attr("DefaultMinVersion").is_some_and(is_version)
                && s.children
                    .iter()
                    .any(|set| set.attr("Name") == Some("Mailbox"))
        });
        if !ok {
            p.push("VersionOverridesV1_1/Requirements: bt:Sets with DefaultMinVersion and bt:Set Name=\"Mailbox\"".to_owned());
        }
    }
    let resources = inner.child("Resources").map(|r| collect_resources(r, p));
    let Some(resources) = resources else { return };
    for element in inner.descendants() {
        if let Some(resid) = element.attr("resid") {
            check_resid(element, resid, &resources, p);
        }
    }
    if let Some(hosts) = inner.child("Hosts") {
        for host in &hosts.children {
            check_host(host, p);
        }
    }
    if let Some(info) = inner.child("WebApplicationInfo") {
        check_web_application(info, &resources, p);
    }
}

/// `WebApplicationInfo`'s children in order: (name, required, may repeat).
const WEB_APPLICATION_SEQUENCE: [(&str, bool, bool); 3] = [
    ("Id", true, false),
    ("Resource", true, false),
    ("Scopes", true, false),
];

/// The host (and port) of an `http(s)://` or `api://` URL.
fn authority(url: &str) -> Option<&str> {
    let rest = ["https://", "http://", "api://"]
        .iter()
        .find_map(|scheme| url.strip_prefix(scheme))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|a| !a.is_empty())
}

fn check_web_application(info: &Element, resources: &Resources, p: &mut Vec<String>) {
    check_sequence("WebApplicationInfo", info, &WEB_APPLICATION_SEQUENCE, p);
    let id = info.child("Id").map(|i| i.text.as_str()).unwrap_or("");
    if !is_uuid(id) {
        p.push(format!(
            "WebApplicationInfo/Id: '{id}' is not a UUID (the app registration's client id)"
        ));
    }
    if let Some(resource) = info.child("Resource") {
        check_length(
            "WebApplicationInfo/Resource",
            &resource.text,
            LONG_STRING_MAX,
            p,
        );
        // Office asks Entra ID for a token to this resource; Entra ID answers only for the Application
        // ID URI api://<domain>/<client id>, with the domain the add-in's pages come from.
        let domains: HashSet<&str> = resources
            .urls
            .values()
            .filter_map(|u| authority(u))
            .collect();
        let expected_path = format!("/{id}");
        let domain_ok = resource.text.starts_with("api://")
            && authority(&resource.text).is_some_and(|a| domains.contains(a))
            && resource.text.ends_with(&expected_path);
        if !domain_ok {
            p.push(format!(
                "WebApplicationInfo/Resource: '{}' is not api://<the add-in's host>/<Id>",
                resource.text
            ));
        }
    }
    if let Some(scopes) = info.child("Scopes") {
        if scopes.children.is_empty() {
            p.push("WebApplicationInfo/Scopes: needs at least one Scope".to_owned());
        }
        for scope in &scopes.children {
            if scope.name != "Scope" {
                p.push(format!(
                    "WebApplicationInfo/Scopes: unexpected element {}",
                    scope.name
                ));
            }
            check_length(
                "WebApplicationInfo/Scopes/Scope",
                &scope.text,
                LONG_STRING_MAX,
                p,
            );
        }
    }
}

fn collect_resources(resources: &Element, p: &mut Vec<String>) -> Resources {
    let mut seen: HashSet<String> = HashSet::new();
    let mut collect = |section: &str, max: usize, url: bool, p: &mut Vec<String>| {
        let mut found = HashMap::new();
        for entry in resources
            .child(section)
            .map(|s| s.children.as_slice())
            .unwrap_or_default()
        {
            let id = entry.attr("id").unwrap_or("").to_owned();
            let path = format!("Resources/{section}/{}[id={id}]", entry.name);
            if id.is_empty() || id.chars().count() > RESID_MAX {
                p.push(format!("{path}: id must have 1 to {RESID_MAX} characters"));
            }
            if !seen.insert(id.clone()) {
                p.push(format!("{path}: id is not unique"));
            }
            check_locale_aware(&path, entry, max, url, p);
            found.insert(id, entry.attr("DefaultValue").unwrap_or("").to_owned());
        }
        found
    };
    Resources {
        images: collect("Images", URL_MAX, true, p),
        urls: collect("Urls", URL_MAX, true, p),
        short: collect("ShortStrings", SHORT_STRING_MAX, false, p),
        long: collect("LongStrings", LONG_STRING_MAX, false, p),
    }
}

/// Which kind of resource an element's `resid` must name.
fn check_resid(element: &Element, resid: &str, resources: &Resources, p: &mut Vec<String>) {
    if resid.chars().count() > RESID_MAX {
        p.push(format!(
            "{}: resid '{resid}' is longer than {RESID_MAX} characters",
            element.name
        ));
    }
    let (kind, table) = match element.name.as_str() {
        "Image" => ("Images", &resources.images),
        "SourceLocation" | "FunctionFile" | "Runtime" | "Override" => ("Urls", &resources.urls),
        "Label" | "Title" => ("ShortStrings", &resources.short),
        "Description" => ("LongStrings", &resources.long),
        other => {
            return p.push(format!(
                "{other}: no resource kind is known for a resid here"
            ));
        }
    };
    if !table.contains_key(resid) {
        p.push(format!(
            "{}: resid '{resid}' does not resolve to an entry of {kind}",
            element.name
        ));
    }
}

fn check_host(host: &Element, p: &mut Vec<String>) {
    if host.attr("xsi:type") != Some("MailHost") {
        return p.push("Hosts/Host: a mail add-in's host is xsi:type=\"MailHost\"".to_owned());
    }
    if let Some(runtimes) = host.child("Runtimes") {
        for runtime in &runtimes.children {
            for o in &runtime.children {
                if o.name == "Override" && o.attr("type") != Some("javascript") {
                    p.push("Runtime/Override: type must be javascript".to_owned());
                }
            }
        }
    }
    let Some(desktop) = host.child("DesktopFormFactor") else {
        return p.push("MailHost: DesktopFormFactor is required".to_owned());
    };
    for (i, child) in desktop.children.iter().enumerate() {
        match child.name.as_str() {
            "FunctionFile" if i != 0 => {
                p.push("DesktopFormFactor: FunctionFile must come first".to_owned())
            }
            "FunctionFile" => {}
            "ExtensionPoint" => check_extension_point(child, p),
            other => p.push(format!("DesktopFormFactor: unexpected element {other}")),
        }
    }
    let launch = desktop
        .children
        .iter()
        .any(|c| c.attr("xsi:type") == Some("LaunchEvent"));
    if launch && host.child("Runtimes").is_none() {
        p.push("MailHost: a LaunchEvent extension point needs Runtimes".to_owned());
    }
}

fn check_extension_point(point: &Element, p: &mut Vec<String>) {
    let kind = point.attr("xsi:type").unwrap_or("");
    if !EXTENSION_POINTS.contains(&kind) {
        return p.push(format!("ExtensionPoint: unknown xsi:type '{kind}'"));
    }
    if kind == "LaunchEvent" {
        let events = point
            .child("LaunchEvents")
            .map(|e| e.children.as_slice())
            .unwrap_or_default();
        if events.is_empty() {
            p.push(
                "ExtensionPoint[LaunchEvent]: LaunchEvents is required and not empty".to_owned(),
            );
        }
        for event in events {
            let event_type = event.attr("Type").unwrap_or("");
            if !LAUNCH_EVENTS.contains(&event_type) {
                p.push(format!("LaunchEvent: unknown Type '{event_type}'"));
            }
            if event.attr("FunctionName").is_none_or(str::is_empty) {
                p.push(format!(
                    "LaunchEvent[{event_type}]: FunctionName is required"
                ));
            }
            match (event_type, event.attr("SendMode")) {
                ("OnMessageSend", Some("PromptUser" | "SoftBlock" | "Block")) => {}
                ("OnMessageSend", other) => p.push(format!("LaunchEvent[OnMessageSend]: SendMode {other:?} is not PromptUser, SoftBlock or Block")),
                (_, Some(_)) => p.push(format!("LaunchEvent[{event_type}]: SendMode belongs to send events")),
                (_, None) => {}
            }
        }
        if point.child("SourceLocation").is_none() {
            p.push("ExtensionPoint[LaunchEvent]: SourceLocation is required".to_owned());
        }
        return;
    }
    for tab in point
        .children
        .iter()
        .filter(|c| c.name == "OfficeTab" || c.name == "CustomTab")
    {
        for group in &tab.children {
            check_length(
                "Group@id",
                group.attr("id").unwrap_or(""),
                SHORT_STRING_MAX,
                p,
            );
            if group.child("Label").is_none() {
                p.push("Group: Label is required".to_owned());
            }
            for control in group.children.iter().filter(|c| c.name == "Control") {
                check_button(control, p);
            }
        }
    }
}

fn check_button(control: &Element, p: &mut Vec<String>) {
    let id = control.attr("id").unwrap_or("");
    check_length("Control@id", id, SHORT_STRING_MAX, p);
    if control.attr("xsi:type") != Some("Button") {
        return;
    }
    let order: Vec<&str> = control.children.iter().map(|c| c.name.as_str()).collect();
    if order != ["Label", "Supertip", "Icon", "Action"] {
        p.push(format!(
            "Control[{id}]: a button has Label, Supertip, Icon, Action in this order, not {order:?}"
        ));
    }
    if let Some(tip) = control.child("Supertip") {
        let names: Vec<&str> = tip.children.iter().map(|c| c.name.as_str()).collect();
        if names != ["Title", "Description"] {
            p.push(format!(
                "Control[{id}]/Supertip: Title then Description, not {names:?}"
            ));
        }
    }
    if let Some(icon) = control.child("Icon") {
        let sizes: HashSet<&str> = icon
            .children
            .iter()
            .filter_map(|i| i.attr("size"))
            .collect();
        for needed in ["16", "32", "80"] {
            if !sizes.contains(needed) {
                p.push(format!(
                    "Control[{id}]/Icon: an image of size {needed} is required"
                ));
            }
        }
    }
    if let Some(action) = control.child("Action") {
        match action.attr("xsi:type") {
            Some("ShowTaskpane") if action.child("SourceLocation").is_some() => {}
            Some("ShowTaskpane") => p.push(format!(
                "Control[{id}]: ShowTaskpane needs a SourceLocation"
            )),
            Some("ExecuteFunction") if action.child("FunctionName").is_some() => {}
            other => p.push(format!(
                "Control[{id}]: action {other:?} is not ShowTaskpane or ExecuteFunction"
            )),
        }
    }
}

/// Whether `text` is a UUID (`bt:UUID`: 8-4-4-4-12 hexadecimal digits).
pub fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
}

fn is_version(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    (1..=4).contains(&parts.len())
        && parts
            .iter()
            .all(|p| (1..=5).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit()))
}

fn is_culture(text: &str) -> bool {
    let mut parts = text.split('-');
    let language = parts.next().unwrap_or("");
    (2..=3).contains(&language.len())
        && language.chars().all(|c| c.is_ascii_lowercase())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}
