//! Generated artefacts: the JSON Schema, the reference page and the Windows Group Policy
//! templates, all from the description table in [`crate::schema`]. The committed copies
//! in docs/ are compared with these by a test, so they never drift.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::schema::{
    Field, SettingSpec, Settings, Shape, TextKind, account_shape, policy_shape,
    privacy_notice_shape, section_doc, settings_table,
};
use crate::validate::describe_text;

/// The commands that regenerate every committed artefact, for failure messages.
pub const REGENERATE: &str = "cargo run -q -p heron-cli --bin heronctl -- policy schema --out docs/policy.schema.json && \
cargo run -q -p heron-cli --bin heronctl -- policy docs --out docs/POLICIES.md && \
cargo run -q -p heron-cli --bin heronctl -- policy admx --out docs/admx";

fn defaults() -> Value {
    serde_json::to_value(Settings::default()).unwrap_or_default()
}

fn default_of(key: &str) -> Value {
    defaults()
        .pointer(&format!("/{}", key.replace('.', "/")))
        .cloned()
        .unwrap_or_default()
}

/// The JSON Schema (draft 2020-12) of a policy file, pretty-printed with a final newline.
pub fn json_schema() -> String {
    let mut schema = shape_schema(&policy_shape(), "");
    if let Value::Object(map) = &mut schema {
        map.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        map.insert(
            "$id".into(),
            json!("https://heron.example/policy.schema.json"),
        );
        map.insert("title".into(), json!("Heron managed policy"));
    }
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

fn text_schema(kind: TextKind) -> Value {
    let mut s = json!({"type": "string"});
    let pattern = match kind {
        TextKind::Any | TextKind::Template(_) => None,
        TextKind::NonEmpty => Some("\\S".to_owned()),
        TextKind::AccountId => Some("^[A-Za-z0-9._-]{1,64}$".to_owned()),
        TextKind::Url(schemes) => Some(format!("^({})://\\S+$", schemes.join("|"))),
        TextKind::Date => Some("^[0-9]{4}-[0-9]{2}-[0-9]{2}$".to_owned()),
        TextKind::Domain => Some("^[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*$".to_owned()),
    };
    if let Some(p) = pattern {
        s["pattern"] = json!(p);
    }
    if let TextKind::Template(_) = kind {
        s["description"] = json!(describe_text(kind));
    }
    s
}

fn object_schema(fields: &[Field], key_prefix: &str) -> Value {
    let mut properties = serde_json::Map::new();
    for f in fields {
        let key = if key_prefix.is_empty() {
            f.name.to_owned()
        } else {
            format!("{key_prefix}.{}", f.name)
        };
        let mut s = shape_schema(&f.shape, &key);
        if let Value::Object(map) = &mut s {
            map.insert("description".into(), json!(f.doc));
        }
        properties.insert(f.name.to_owned(), s);
    }
    let required: Vec<&str> = fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name)
        .collect();
    let mut s = json!({"type": "object", "properties": properties, "additionalProperties": false});
    if !required.is_empty() {
        s["required"] = json!(required);
    }
    s
}

/// `key` is the dotted setting key (for defaults) while walking the settings sections.
fn shape_schema(shape: &Shape, key: &str) -> Value {
    match shape {
        Shape::Bool => json!({"type": "boolean"}),
        Shape::Integer { min, max } => json!({"type": "integer", "minimum": min, "maximum": max}),
        Shape::Text(kind) => text_schema(*kind),
        Shape::OneOf(choices) => json!({"type": "string", "enum": choices}),
        Shape::List(item) => json!({"type": "array", "items": shape_schema(item, "")}),
        Shape::Object(fields) => object_schema(fields, key),
        Shape::Tagged { tag, variants } => {
            let one_of: Vec<Value> = variants
                .iter()
                .map(|(name, fields)| {
                    let mut s = object_schema(fields, "");
                    s["properties"][*tag] = json!({"const": name});
                    let mut required = vec![json!(tag)];
                    if let Some(Value::Array(r)) = s.get("required") {
                        required.extend(r.iter().cloned());
                    }
                    s["required"] = json!(required);
                    s
                })
                .collect();
            json!({"type": "object", "oneOf": one_of})
        }
        Shape::Lockable(inner) => {
            let plain = shape_schema(inner, "");
            json!({
                "default": default_of(key),
                "anyOf": [
                    plain,
                    {
                        "type": "object",
                        "properties": {"value": plain, "locked": {"type": "boolean"}},
                        "required": ["value"],
                        "additionalProperties": false
                    }
                ]
            })
        }
    }
}

fn type_name(shape: &Shape) -> String {
    match shape {
        Shape::Bool => "boolean".into(),
        Shape::Integer { min, max } => format!("integer {min}–{max}"),
        Shape::Text(kind) => match kind {
            TextKind::Any | TextKind::NonEmpty => "string".into(),
            TextKind::AccountId => "account id".into(),
            TextKind::Template(allowed) => {
                let names: Vec<String> = allowed.iter().map(|n| format!("`${{{n}}}`")).collect();
                format!("template ({})", names.join(" "))
            }
            TextKind::Url(schemes) => format!("URL ({})", schemes.join(", ")),
            TextKind::Date => "date YYYY-MM-DD".into(),
            TextKind::Domain => "domain".into(),
        },
        Shape::OneOf(choices) => {
            let c: Vec<String> = choices.iter().map(|c| format!("`\"{c}\"`")).collect();
            c.join(" or ")
        }
        Shape::List(item) => format!("list of {}", type_name(item)),
        Shape::Object(_) => "object".into(),
        Shape::Tagged { tag, .. } => format!("object chosen by `{tag}`"),
        Shape::Lockable(inner) => type_name(inner),
    }
}

fn md_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn field_rows(out: &mut String, fields: &[Field], prefix: &str) {
    for f in fields {
        let key = format!("{prefix}{}", f.name);
        let _ = writeln!(
            out,
            "| `{key}` | {} | {} | {} |",
            md_cell(&type_name(&f.shape)),
            if f.required { "yes" } else { "no" },
            md_cell(f.doc)
        );
        match &f.shape {
            Shape::Object(inner) => field_rows(out, inner, &format!("{key}.")),
            Shape::List(item) => {
                if let Shape::Object(inner) = &**item {
                    field_rows(out, inner, &format!("{key}[]."));
                }
            }
            Shape::Tagged { tag, variants } => {
                let names: Vec<String> =
                    variants.iter().map(|(n, _)| format!("`\"{n}\"`")).collect();
                let _ = writeln!(
                    out,
                    "| `{key}.{tag}` | {} | yes | Which method. |",
                    names.join(" or ")
                );
                for (name, inner) in variants {
                    for f in inner {
                        let _ = writeln!(
                            out,
                            "| `{key}.{}` | {} | {} | With `{name}`: {} |",
                            f.name,
                            md_cell(&type_name(&f.shape)),
                            if f.required { "yes" } else { "no" },
                            md_cell(f.doc)
                        );
                    }
                }
            }
            _ => {}
        }
    }
}

/// The reference page, docs/POLICIES.md.
pub fn reference_markdown() -> String {
    let mut out = String::new();
    out.push_str(INTRO);
    out.push_str("\n## Settings\n\n");
    out.push_str(
        "Every setting is lockable. \"User may change\" says whether the user may change it \
         when it is not locked; settings that would weaken security or decide account \
         lifecycle are the admin's alone (the user can never set them).\n\n",
    );
    out.push_str("| Key | Type | Default | User may change | Example | Description |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for SettingSpec {
        key,
        shape,
        doc,
        user_may_set,
        example,
    } in settings_table()
    {
        let _ = writeln!(
            out,
            "| `{key}` | {} | `{}` | {} | `{}` | {} |",
            md_cell(&type_name(&shape)),
            md_cell(&default_of(key).to_string()),
            if user_may_set {
                "yes"
            } else {
                "no (admin only)"
            },
            md_cell(example),
            md_cell(doc)
        );
    }
    out.push_str("\nSections: ");
    let sections: Vec<String> = ["lifecycle", "features", "security", "retention", "sync"]
        .iter()
        .map(|s| {
            format!(
                "`{s}` ({})",
                section_doc(s).trim_end_matches('.').to_lowercase()
            )
        })
        .collect();
    out.push_str(&sections.join(", "));
    out.push_str(". `updates` is a top-level setting.\n");
    out.push_str("\n## Accounts (`accounts`, a list; managed only, not lockable)\n\n");
    out.push_str("| Key | Type | Required | Description |\n|---|---|---|---|\n");
    if let Shape::Object(fields) = account_shape() {
        field_rows(&mut out, &fields, "accounts[].");
    }
    out.push_str(
        "\nAccounts with the same `id` in a later file replace the earlier one. Account ids \
         listed in `lifecycle.remove_accounts` are dropped from the effective list at once; \
         the next time Heron (the app, or `heronctl sync`) opens its store, their local \
         data is wiped (mail, drafts, outbox, keyring entries; the wipe is verified) and the \
         user is told why. `heronctl --data-dir DIR wipe --yes` wipes a whole data \
         directory.\n",
    );
    out.push_str(
        "\n### Signing in\n\nAn account without `password` asks the user, on first use, \
         only for their password: Heron checks it with the IMAP server and keeps it in the \
         OS keyring. An `oauth2` account opens the `authorization_url` in the user's \
         browser (authorisation code with PKCE S256, `state`, a `nonce` when `openid` is \
         among the scopes, `login_hint` the login) and takes the code at \
         `http://127.0.0.1:PORT/callback`, a loopback port chosen per sign-in (RFC 8252): \
         register the client as public, with loopback redirects on any port. Access and \
         refresh tokens are kept in the keyring; the access token is refreshed before it \
         expires.\n\n### Accounts users add\n\nWhere `lifecycle.user_may_add_accounts` \
         allows it (with `auto`: while no account is managed), users add accounts \
         themselves. Heron proposes the servers from the address's own domain only \
         (autoconfig files at `https://autoconfig.DOMAIN/mail/config-v1.1.xml` and \
         `https://DOMAIN/.well-known/autoconfig/mail/config-v1.1.xml`, then plain HTTP, \
         marked unverified; RFC 6186 SRV records), the user confirms them, and the \
         password goes to those servers only. Such accounts are kept in `accounts.json` in \
         the data directory (the `accounts` shape above, never a password or a setting). \
         They are in use only while the policy allows them: adding permitted, the \
         address in `lifecycle.allowed_domains` when that is set, not in \
         `lifecycle.remove_accounts`, no managed account with the same id. Otherwise they \
         are set aside (not deleted) and `heronctl policy show` says why. Users remove \
         only accounts they added, and only where `lifecycle.user_may_remove_accounts` \
         allows it.\n",
    );
    out.push_str("\n## Privacy notice (`privacy_notice`; managed only, not lockable)\n\n");
    out.push_str("| Key | Type | Required | Description |\n|---|---|---|---|\n");
    if let Shape::Object(fields) = privacy_notice_shape() {
        field_rows(&mut out, &fields, "privacy_notice.");
    }
    out.push_str("\nExactly one of `text` and `file` must be given. The last file that sets a notice wins.\n");
    out.push_str(OUTRO);
    out
}

const INTRO: &str = r#"# Heron policy reference

<!-- Generated by `heronctl policy docs --out docs/POLICIES.md` from crates/heron-policy/src/schema.rs; do not edit. -->

Admins configure Heron with JSON policy files; the JSON Schema is
[policy.schema.json](policy.schema.json), examples are in [examples/](examples/), and
`heronctl policy check FILE` lists every error with its line, column and JSON path.

## Where policies live

| OS | Sources, in the order they are merged |
|---|---|
| Linux | `/etc/heron/policies.json`, then `/etc/heron/policies.d/*.json` in lexical order |
| Windows | `%ProgramData%\Heron\policies.json`, then `%ProgramData%\Heron\policies.d\*.json`, then Group Policy: the registry key `HKLM\Software\Policies\Heron` (see "Windows Group Policy" below) |
| macOS | `/Library/Application Support/Heron/policies.json` and `policies.d/`, then the managed preferences domain `app.heron.desktop` that MDM installs: `/Library/Managed Preferences/app.heron.desktop.plist` (the device), then `/Library/Managed Preferences/<user>/app.heron.desktop.plist` (the signed-in user; see "macOS managed preferences" below) |

The OS's own store is read last, as one more policy file: Group Policy and MDM replace
what a local file gives, except a setting that file already locked.

`heronctl --config FILE` or the `HERON_CONFIG` environment variable name one file that
then replaces the system files and the OS's store (tests, headless use; release builds of
the desktop app ignore `HERON_CONFIG`, so a user cannot replace the admin's policy).
heron-api can watch the sources and apply a change while it runs (the desktop app does
not start that watcher yet). A source with errors is reported (the same text as
`heronctl policy check`) and the last good policy stays in force; a broken user settings
file is reported and left out, never the admin's policy.

## Default or locked

Every setting can be given in two shapes:

```json
{ "features": {
    "camera": false,
    "remote_content": { "value": false, "locked": true }
} }
```

- A plain value (`"camera": false`) is a **default**: it replaces Heron's built-in
  default, and the user may change it.
- `{"value": X, "locked": true}` is **locked**: the user cannot change it (the settings
  screen shows it disabled and heron-api refuses with the error code `setting_locked`),
  and later policy files cannot change it either. `{"value": X}` or `"locked": false`
  is the same as the plain value.

Each setting resolves in this order: the built-in default; then each managed file in
order, a later file replacing an earlier value unless an earlier file locked it; then
the user's own choice, unless the managed value is locked or the setting is admin-only.
`heronctl policy show` prints every value with its source (`default`, `user` or the
policy file) and whether it is locked.

User settings are kept in `user-settings.json` in Heron's data directory (a flat object
of dotted keys, e.g. `{"features.remote_content": false}`) until the encrypted store
takes them over.

## Placeholders

Account `display_name`, `email`, `login` and identity `email`/`display_name` may use
`${username}` and `${domain}`, filled from the signed-in OS user (e.g.
`${username}@corp.example`). Signature templates may use `${display_name}`, `${email}`,
`${title}`, `${department}`, `${phone}` (from the directory), `${username}` and
`${domain}`; a line whose fields are all unknown is left out. Any other placeholder is an
error.
"#;

const OUTRO: &str = r#"
## Windows Group Policy

[admx/heron.admx](admx/heron.admx) and [admx/en-US/heron.adml](admx/en-US/heron.adml)
describe every setting above. Policies under `Software\Policies\Heron\<section>` are
locked; the same names under `Software\Policies\Heron\Recommended\<section>` are defaults
the user may change. Booleans are DWORD 0/1, integers DWORD, choices strings; lists
(`allowed_domains`, `remove_accounts`, `extra_ca_files`, `push_folders`) are a JSON
array in a string.
Accounts and the privacy notice are one multi-line string each, holding the same JSON as
the `accounts` array and the `privacy_notice` object of a policy file, one line of JSON
per line of the text box (REG_MULTI_SZ; a REG_SZ holding the whole JSON is read too).

Heron reads `HKLM\Software\Policies\Heron` as the policy file these values stand for,
after the files in `%ProgramData%\Heron`. A setting that is both locked and under
`Recommended` is locked. Any setting may be written under `Recommended` by hand; it is
then a default, like a plain value in a file. Names ignore case, as in the registry; an
unknown value or key, or a value of the wrong registry type, is an error naming the
value; an error inside JSON text also gives its line and column there:

```text
HKLM\Software\Policies\Heron: at features\camera: expected REG_DWORD 0 or 1, found REG_SZ "yes"
HKLM\Software\Policies\Heron: at accounts[0].imap.port (line 5, column 49): expected a whole number from 1 to 65535, found the number 99999
```

## macOS managed preferences

An MDM configuration profile for the preference domain `app.heron.desktop` (Heron's
bundle identifier), e.g. a custom settings payload, holds a policy file in property list
form: the same keys and nesting, `<dict>` for an object, `<array>`, `<string>`,
`<integer>`, `<true/>` and `<false/>`, and a locked setting as a `<dict>` with the keys
`value` and `locked`:

```xml
<key>features</key>
<dict>
  <key>camera</key>
  <false/>
  <key>remote_content</key>
  <dict><key>value</key><false/><key>locked</key><true/></dict>
</dict>
```

Dates are strings (`<string>2026-04-01</string>`); `<date>` and `<data>` are errors.
macOS writes the device's profiles to `/Library/Managed Preferences/app.heron.desktop.plist`
and a user's to `/Library/Managed Preferences/<user>/app.heron.desktop.plist`; both are
read, the user's second. Errors name the file and the key path:

```text
/Library/Managed Preferences/app.heron.desktop.plist: at $.features.camera: expected true or false, found the string "yes"
```
"#;

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn policy_id(key: &str) -> String {
    key.replace('.', "_")
}

/// One Group Policy: (name, registry key, value name, category, spec).
struct AdmxPolicy {
    name: String,
    key: String,
    value_name: String,
    category: String,
    spec: SettingSpec,
}

fn admx_policies() -> Vec<AdmxPolicy> {
    let mut out = Vec::new();
    for (suffix, base, category) in [
        ("", "Software\\Policies\\Heron", "Heron"),
        (
            "_recommended",
            "Software\\Policies\\Heron\\Recommended",
            "HeronRecommended",
        ),
    ] {
        for spec in settings_table() {
            if suffix == "_recommended" && !spec.user_may_set {
                continue;
            }
            let (section, value_name) = match spec.key.split_once('.') {
                Some((section, name)) => (Some(section), name),
                None => (None, spec.key),
            };
            out.push(AdmxPolicy {
                name: format!("{}{suffix}", policy_id(spec.key)),
                key: section.map_or_else(|| base.to_owned(), |s| format!("{base}\\{s}")),
                value_name: value_name.to_owned(),
                category: section
                    .map_or_else(|| category.to_owned(), |s| format!("{category}_{s}")),
                spec,
            });
        }
    }
    out
}

const SECTIONS: &[&str] = &["lifecycle", "features", "security", "retention", "sync"];

/// The Group Policy definitions, docs/admx/heron.admx.
pub fn admx() -> String {
    let mut out = String::new();
    out.push_str(r#"<?xml version="1.0" encoding="utf-8"?>
<!-- Generated by heronctl policy admx from crates/heron-policy/src/schema.rs; do not edit. -->
<policyDefinitions xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" revision="1.0" schemaVersion="1.0" xmlns="http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions">
  <policyNamespaces>
    <target prefix="heron" namespace="Heron.Policies.Heron" />
    <using prefix="windows" namespace="Microsoft.Policies.Windows" />
  </policyNamespaces>
  <resources minRequiredRevision="1.0" />
  <supportedOn>
    <definitions>
      <definition name="SUPPORTED_Heron_0_1" displayName="$(string.SUPPORTED_Heron_0_1)" />
    </definitions>
  </supportedOn>
  <categories>
    <category name="Heron" displayName="$(string.Heron)" />
    <category name="HeronRecommended" displayName="$(string.HeronRecommended)" />
"#);
    for parent in ["Heron", "HeronRecommended"] {
        for section in SECTIONS {
            let _ = writeln!(
                out,
                "    <category name=\"{parent}_{section}\" displayName=\"$(string.{parent}_{section})\">\n      <parentCategory ref=\"{parent}\" />\n    </category>"
            );
        }
    }
    out.push_str("  </categories>\n  <policies>\n");
    for json_policy in ["accounts", "privacy_notice"] {
        let _ = writeln!(
            out,
            "    <policy name=\"{json_policy}\" class=\"Machine\" displayName=\"$(string.{json_policy})\" explainText=\"$(string.{json_policy}_Explain)\" key=\"Software\\Policies\\Heron\" presentation=\"$(presentation.{json_policy})\">\n      <parentCategory ref=\"Heron\" />\n      <supportedOn ref=\"SUPPORTED_Heron_0_1\" />\n      <elements>\n        <multiText id=\"{json_policy}\" valueName=\"{json_policy}\" maxStrings=\"1000\" />\n      </elements>\n    </policy>"
        );
    }
    for p in admx_policies() {
        let head = format!(
            "    <policy name=\"{name}\" class=\"Machine\" displayName=\"$(string.{name})\" explainText=\"$(string.{name}_Explain)\" key=\"{key}\"",
            name = p.name,
            key = xml(&p.key)
        );
        let common = format!(
            "      <parentCategory ref=\"{}\" />\n      <supportedOn ref=\"SUPPORTED_Heron_0_1\" />\n",
            p.category
        );
        match &p.spec.shape {
            Shape::Bool => {
                let _ = write!(
                    out,
                    "{head} valueName=\"{}\">\n{common}      <enabledValue><decimal value=\"1\" /></enabledValue>\n      <disabledValue><decimal value=\"0\" /></disabledValue>\n    </policy>\n",
                    p.value_name
                );
            }
            Shape::Integer { min, max } => {
                let _ = write!(
                    out,
                    "{head} presentation=\"$(presentation.{name})\">\n{common}      <elements>\n        <decimal id=\"{name}\" valueName=\"{}\" minValue=\"{min}\" maxValue=\"{max}\" />\n      </elements>\n    </policy>\n",
                    p.value_name,
                    name = p.name
                );
            }
            Shape::OneOf(choices) => {
                let _ = write!(
                    out,
                    "{head} presentation=\"$(presentation.{name})\">\n{common}      <elements>\n        <enum id=\"{name}\" valueName=\"{}\">\n",
                    p.value_name,
                    name = p.name
                );
                for choice in *choices {
                    let _ = writeln!(
                        out,
                        "          <item displayName=\"$(string.{}_{})\"><value><string>{}</string></value></item>",
                        p.name,
                        choice.replace('.', "_"),
                        xml(choice)
                    );
                }
                out.push_str("        </enum>\n      </elements>\n    </policy>\n");
            }
            _ => {
                let _ = write!(
                    out,
                    "{head} presentation=\"$(presentation.{name})\">\n{common}      <elements>\n        <text id=\"{name}\" valueName=\"{}\" maxLength=\"4096\" />\n      </elements>\n    </policy>\n",
                    p.value_name,
                    name = p.name
                );
            }
        }
    }
    out.push_str("  </policies>\n</policyDefinitions>\n");
    out
}

/// The English strings and presentations, docs/admx/en-US/heron.adml.
pub fn adml() -> String {
    let mut strings = String::new();
    let mut presentations = String::new();
    let mut string = |id: &str, text: &str| {
        let _ = writeln!(strings, "      <string id=\"{id}\">{}</string>", xml(text));
    };
    string("SUPPORTED_Heron_0_1", "Heron 0.1 and later");
    string("Heron", "Heron (locked: users cannot change these)");
    string(
        "HeronRecommended",
        "Heron (recommended: users may change these)",
    );
    for parent in ["Heron", "HeronRecommended"] {
        for section in SECTIONS {
            string(
                &format!("{parent}_{section}"),
                section_doc(section).trim_end_matches('.'),
            );
        }
    }
    string("accounts", "Accounts (JSON)");
    string(
        "accounts_Explain",
        "The accounts provisioned for every user: the same JSON array as \"accounts\" in a policy file (see POLICIES.md). Placeholders like ${username} are filled from the signed-in user.",
    );
    string("privacy_notice", "Privacy notice (JSON)");
    string(
        "privacy_notice_Explain",
        "The privacy notice users accept: the same JSON object as \"privacy_notice\" in a policy file (see POLICIES.md).",
    );
    for json_policy in ["accounts", "privacy_notice"] {
        let _ = writeln!(
            presentations,
            "      <presentation id=\"{json_policy}\">\n        <multiTextBox refId=\"{json_policy}\">JSON</multiTextBox>\n      </presentation>"
        );
    }
    for p in admx_policies() {
        let recommended = p.name.ends_with("_recommended");
        string(
            &p.name,
            &format!(
                "{}{}",
                p.spec.key,
                if recommended { " (recommended)" } else { "" }
            ),
        );
        string(
            &format!("{}_Explain", p.name),
            &format!(
                "{} Default: {}. Example: {}.{}",
                p.spec.doc,
                default_of(p.spec.key),
                p.spec.example,
                if recommended {
                    " Users may change this value."
                } else {
                    " Users cannot change this value."
                }
            ),
        );
        match &p.spec.shape {
            Shape::Bool => {}
            Shape::Integer { .. } => {
                let _ = writeln!(
                    presentations,
                    "      <presentation id=\"{name}\">\n        <decimalTextBox refId=\"{name}\" defaultValue=\"{}\">{}</decimalTextBox>\n      </presentation>",
                    default_of(p.spec.key),
                    xml(p.spec.key),
                    name = p.name
                );
            }
            Shape::OneOf(choices) => {
                for choice in *choices {
                    string(&format!("{}_{}", p.name, choice.replace('.', "_")), choice);
                }
                let _ = writeln!(
                    presentations,
                    "      <presentation id=\"{name}\">\n        <dropdownList refId=\"{name}\" noSort=\"true\">{}</dropdownList>\n      </presentation>",
                    xml(p.spec.key),
                    name = p.name
                );
            }
            _ => {
                let _ = writeln!(
                    presentations,
                    "      <presentation id=\"{name}\">\n        <textBox refId=\"{name}\">\n          <label>{} (JSON)</label>\n        </textBox>\n      </presentation>",
                    xml(p.spec.key),
                    name = p.name
                );
            }
        }
    }
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<!-- Generated by heronctl policy admx from crates/heron-policy/src/schema.rs; do not edit. -->
<policyDefinitionResources xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" revision="1.0" schemaVersion="1.0" xmlns="http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions">
  <displayName>Heron</displayName>
  <description>Managed configuration for the Heron mail client</description>
  <resources>
    <stringTable>
{strings}    </stringTable>
    <presentationTable>
{presentations}    </presentationTable>
  </resources>
</policyDefinitionResources>
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn committed(path: &str) -> String {
        let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(path);
        std::fs::read_to_string(&full).unwrap_or_default()
    }

    #[test]
    fn committed_generated_files_match_the_schema_types() {
        for (path, generated) in [
            ("docs/policy.schema.json", json_schema()),
            ("docs/POLICIES.md", reference_markdown()),
            ("docs/admx/heron.admx", admx()),
            ("docs/admx/en-US/heron.adml", adml()),
        ] {
            assert!(
                committed(path) == generated,
                "{path} is out of date with crates/heron-policy/src/schema.rs; regenerate with:\n{REGENERATE}"
            );
        }
    }

    #[test]
    fn the_json_schema_gives_every_setting_its_default() {
        let schema: Value = serde_json::from_str(&json_schema()).unwrap();
        for spec in settings_table() {
            let pointer = match spec.key.split_once('.') {
                Some((section, name)) => format!("/properties/{section}/properties/{name}/default"),
                None => format!("/properties/{}/default", spec.key),
            };
            assert_eq!(
                schema.pointer(&pointer),
                Some(&default_of(spec.key)),
                "{}",
                spec.key
            );
        }
    }
}
