//! Security notes: what the reader warns about, and the checks that find them.
//!
//! Every note carries the offending text made visible with [`escape_visible`], so a
//! bidi override or a NUL can never hide inside the warning that is meant to reveal it.

use serde::Serialize;

/// One thing the reader should warn the user about.
///
/// Serialised with a stable `code` tag (snake case) so the UI and tests branch on the
/// code and translate the text themselves; the fields are the evidence to show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum SecurityNote {
    /// The message has no usable From address at all.
    MissingFrom,
    /// An RFC 2047 encoded word in From decodes to something that looks like an
    /// address: the classic way to show one address and send from another.
    EncodedWordHidesAddress {
        /// The decoded display name, escaped.
        shown: String,
        /// The address the message really comes from, escaped.
        address: String,
    },
    /// NUL, CR, LF or other control characters in a sender name or address
    /// (Mailsploit-style headers truncate the shown sender at them).
    ControlCharsInSender {
        /// The header the characters were found in (`from`, `sender`, `reply_to`).
        header: String,
        /// The name or address with the characters made visible.
        shown: String,
    },
    /// The From header names more than one author.
    SeveralFromAddresses {
        /// How many addresses From lists.
        count: usize,
        /// All of them, escaped, comma separated.
        shown: String,
    },
    /// The display name contains an address that is not the sending address.
    DisplayNameContainsOtherAddress {
        /// The display name, escaped.
        shown: String,
        /// The real sending address, escaped.
        address: String,
    },
    /// A Sender header names someone else than From (sent "on behalf of").
    SenderDiffersFromFrom {
        /// The Sender address, escaped.
        sender: String,
        /// The From address, escaped.
        from: String,
    },
    /// Bidi controls or zero-width characters in a name, subject or file name: they
    /// reorder or hide text, e.g. to make `exe.pdf` out of `fdp.exe`.
    InvisibleOrBidiChars {
        /// Where they were found: `from`, `subject`, `attachment`, ...
        field: String,
        /// The text with every such character shown as `<U+XXXX>`.
        shown: String,
    },
    /// An attachment whose type runs code when opened (.exe, .js, .lnk, .iso, ...).
    DangerousAttachment {
        /// The file name, escaped.
        file_name: String,
        /// The extension (or content type) that makes it dangerous.
        reason: String,
    },
    /// An attachment name with two extensions whose last one is dangerous
    /// (`invoice.pdf.exe`).
    DoubleExtension {
        /// The file name, escaped.
        file_name: String,
    },
    /// A link whose visible text shows one host and whose target is another.
    LinkTextHostMismatch {
        /// The host the text shows.
        text_host: String,
        /// The host the link really goes to (punycode form).
        href_host: String,
    },
    /// A link to a bare IP address instead of a name.
    IpLiteralHost {
        /// The link target, escaped.
        href: String,
    },
    /// A link with user information before the host (`https://bank.com@evil.io/`).
    UserinfoInUrl {
        /// The link target, escaped.
        href: String,
    },
    /// A link to an internationalised host name, which may imitate another host.
    IdnHost {
        /// The host as Unicode, escaped.
        unicode: String,
        /// The host in its punycode form, which is what really gets resolved.
        punycode: String,
    },
    /// A part could not be shown; its raw source is still available.
    PartNotDisplayed {
        /// The IMAP-style part path (`""` for the whole message).
        part_path: String,
        /// Why, in plain words (not translated; for logs and the details view).
        reason: String,
    },
    /// A safety cap stopped processing; the rest of the message is not shown.
    LimitExceeded {
        /// Which cap: `depth`, `parts`, `decoded_size`, `message_size`, `links`.
        limit: String,
    },
    /// A winmail.dat (TNEF) attachment: its contents are listed, not opened.
    TnefAttachment {
        /// The part path of the winmail.dat.
        part_path: String,
    },
}

impl SecurityNote {
    /// The stable code of this note, the same string as the serialised `code` tag.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingFrom => "missing_from",
            Self::EncodedWordHidesAddress { .. } => "encoded_word_hides_address",
            Self::ControlCharsInSender { .. } => "control_chars_in_sender",
            Self::SeveralFromAddresses { .. } => "several_from_addresses",
            Self::DisplayNameContainsOtherAddress { .. } => "display_name_contains_other_address",
            Self::SenderDiffersFromFrom { .. } => "sender_differs_from_from",
            Self::InvisibleOrBidiChars { .. } => "invisible_or_bidi_chars",
            Self::DangerousAttachment { .. } => "dangerous_attachment",
            Self::DoubleExtension { .. } => "double_extension",
            Self::LinkTextHostMismatch { .. } => "link_text_host_mismatch",
            Self::IpLiteralHost { .. } => "ip_literal_host",
            Self::UserinfoInUrl { .. } => "userinfo_in_url",
            Self::IdnHost { .. } => "idn_host",
            Self::PartNotDisplayed { .. } => "part_not_displayed",
            Self::LimitExceeded { .. } => "limit_exceeded",
            Self::TnefAttachment { .. } => "tnef_attachment",
        }
    }
}

/// Bidi embedding/override/isolate controls and the implicit direction marks.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Characters that take no space: they split words so filters and eyes miss them.
pub fn is_zero_width(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{180E}' | '\u{00AD}'
    )
}

/// Characters the reader never shows raw in names, subjects and file names.
pub fn is_hidden_char(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || is_zero_width(c)
}

/// Makes control, bidi and zero-width characters visible as `<U+XXXX>` so the user
/// sees exactly what the text contains.
pub fn escape_visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_hidden_char(c) {
            out.push_str(&format!("<U+{:04X}>", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Adds an [`SecurityNote::InvisibleOrBidiChars`] note when `text` hides characters.
pub(crate) fn check_invisible(field: &str, text: &str, notes: &mut Vec<SecurityNote>) {
    if text.chars().any(|c| is_bidi_control(c) || is_zero_width(c)) {
        notes.push(SecurityNote::InvisibleOrBidiChars {
            field: field.to_owned(),
            shown: escape_visible(text),
        });
    }
}

/// File extensions that execute, install or mount something when opened on Windows,
/// macOS or Linux desktops. Kept lower case; compared after removing hidden chars.
const DANGEROUS_EXTENSIONS: &[&str] = &[
    "ade",
    "adp",
    "app",
    "appx",
    "appxbundle",
    "application",
    "apk",
    "bas",
    "bat",
    "chm",
    "cmd",
    "com",
    "cpl",
    "crt",
    "desktop",
    "dll",
    "dmg",
    "docm",
    "exe",
    "gadget",
    "hlp",
    "hta",
    "htm",
    "html",
    "inf",
    "ins",
    "iso",
    "isp",
    "img",
    "jar",
    "js",
    "jse",
    "ksh",
    "lnk",
    "mht",
    "mhtml",
    "mjs",
    "msc",
    "msi",
    "msix",
    "msp",
    "mst",
    "pif",
    "pkg",
    "ps1",
    "ps1xml",
    "ps2",
    "psc1",
    "psm1",
    "py",
    "pyw",
    "reg",
    "scf",
    "scr",
    "sct",
    "settingcontent-ms",
    "sh",
    "shb",
    "shs",
    "svg",
    "sys",
    "url",
    "vb",
    "vbe",
    "vbs",
    "vhd",
    "vhdx",
    "website",
    "ws",
    "wsc",
    "wsf",
    "wsh",
    "xlam",
    "xlsm",
    "xll",
    "pptm",
    "command",
    "workflow",
    "terminal",
    "run",
    "appimage",
];

/// Content types that mean "a program" whatever the file is called.
const DANGEROUS_TYPES: &[&str] = &[
    "application/x-msdownload",
    "application/x-msdos-program",
    "application/x-ms-installer",
    "application/x-msi",
    "application/hta",
    "application/x-ms-shortcut",
    "application/java-archive",
    "application/x-sh",
    "application/javascript",
    "text/javascript",
    "application/x-iso9660-image",
    "application/vnd.microsoft.portable-executable",
];

/// Checks an attachment name and type; returns whether it is dangerous to open and
/// pushes the notes explaining why.
pub(crate) fn check_attachment_name(
    raw_name: &str,
    content_type: &str,
    notes: &mut Vec<SecurityNote>,
) -> bool {
    check_invisible("attachment", raw_name, notes);
    // What the OS sees: hidden characters are part of the name but not of what the
    // user reads, and Windows drops trailing dots and spaces.
    let cleaned: String = raw_name.chars().filter(|c| !is_hidden_char(*c)).collect();
    let cleaned = cleaned.trim_end_matches(['.', ' ']).to_ascii_lowercase();
    let mut dangerous = false;
    let mut pieces = cleaned.rsplit('.');
    let last = pieces.next().unwrap_or_default();
    let has_ext = cleaned.contains('.');
    if has_ext && DANGEROUS_EXTENSIONS.contains(&last) {
        dangerous = true;
        notes.push(SecurityNote::DangerousAttachment {
            file_name: escape_visible(raw_name),
            reason: format!(".{last}"),
        });
        if let Some(prev) = pieces.next() {
            // `invoice.pdf.exe` and `invoice.pdf      .exe`; a name that is only an
            // extension (`.exe`) has an empty stem and is not "double".
            let prev = prev.trim();
            let has_stem = pieces.next().is_some();
            if has_stem
                && !prev.is_empty()
                && prev.len() <= 5
                && prev.chars().all(|c| c.is_ascii_alphanumeric())
            {
                notes.push(SecurityNote::DoubleExtension {
                    file_name: escape_visible(raw_name),
                });
            }
        }
    }
    let ctype = content_type.to_ascii_lowercase();
    if DANGEROUS_TYPES.contains(&ctype.as_str()) && !dangerous {
        dangerous = true;
        notes.push(SecurityNote::DangerousAttachment {
            file_name: escape_visible(raw_name),
            reason: ctype,
        });
    }
    dangerous
}

/// Windows device names that cannot be file names in any folder.
const RESERVED_NAMES: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// Reduces a name from mail data to a safe base name for saving: no path, no hidden or
/// reserved characters, no device names, at most 200 characters, never empty.
pub fn safe_file_name(raw: &str) -> String {
    // Only the last path component: `..\..\Startup\x.lnk` must not climb.
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut name: String = base
        .chars()
        .filter(|c| !is_hidden_char(*c))
        .map(|c| {
            if matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .collect();
    name = name.trim_matches([' ', '.']).to_owned();
    if name.chars().count() > 200 {
        // Keep the extension so the type stays recognisable (and checkable).
        let ext: String = match name.rfind('.') {
            Some(i) if name.len() - i <= 16 => name[i..].to_owned(),
            _ => String::new(),
        };
        let keep = 200 - ext.chars().count();
        name = name.chars().take(keep).collect::<String>() + &ext;
    }
    let stem = name
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if RESERVED_NAMES.contains(&stem.trim()) {
        name = format!("_{name}");
    }
    if name.is_empty() {
        name = "attachment".to_owned();
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialised_code_is_the_stable_code() {
        let s = |v: &str| v.to_owned();
        let all = [
            SecurityNote::MissingFrom,
            SecurityNote::EncodedWordHidesAddress {
                shown: s("a"),
                address: s("b"),
            },
            SecurityNote::ControlCharsInSender {
                header: s("from"),
                shown: s("a"),
            },
            SecurityNote::SeveralFromAddresses {
                count: 2,
                shown: s("a, b"),
            },
            SecurityNote::DisplayNameContainsOtherAddress {
                shown: s("a"),
                address: s("b"),
            },
            SecurityNote::SenderDiffersFromFrom {
                sender: s("a"),
                from: s("b"),
            },
            SecurityNote::InvisibleOrBidiChars {
                field: s("subject"),
                shown: s("a"),
            },
            SecurityNote::DangerousAttachment {
                file_name: s("a.exe"),
                reason: s(".exe"),
            },
            SecurityNote::DoubleExtension {
                file_name: s("a.pdf.exe"),
            },
            SecurityNote::LinkTextHostMismatch {
                text_host: s("a"),
                href_host: s("b"),
            },
            SecurityNote::IpLiteralHost { href: s("a") },
            SecurityNote::UserinfoInUrl { href: s("a") },
            SecurityNote::IdnHost {
                unicode: s("a"),
                punycode: s("b"),
            },
            SecurityNote::PartNotDisplayed {
                part_path: s("1"),
                reason: s("r"),
            },
            SecurityNote::LimitExceeded { limit: s("depth") },
            SecurityNote::TnefAttachment { part_path: s("2") },
        ];
        for note in all {
            let json = serde_json::to_value(&note).unwrap();
            assert_eq!(json["code"], note.code());
        }
    }

    #[test]
    fn escape_visible_shows_bidi_nul_and_zero_width() {
        assert_eq!(
            escape_visible("a\u{202E}b\0c\u{200B}"),
            "a<U+202E>b<U+0000>c<U+200B>"
        );
    }

    #[test]
    fn rlo_hidden_exe_is_dangerous_and_flagged() {
        let mut notes = Vec::new();
        assert!(check_attachment_name(
            "invoice\u{202E}fdp.exe",
            "application/pdf",
            &mut notes
        ));
        let codes: Vec<_> = notes.iter().map(SecurityNote::code).collect();
        assert_eq!(codes, ["invisible_or_bidi_chars", "dangerous_attachment"]);
    }

    #[test]
    fn double_extension_flagged() {
        let mut notes = Vec::new();
        assert!(check_attachment_name(
            "report.pdf.exe",
            "application/octet-stream",
            &mut notes
        ));
        assert!(notes.iter().any(|n| n.code() == "double_extension"));
        let mut notes = Vec::new();
        assert!(check_attachment_name(
            "report.pdf      .scr",
            "",
            &mut notes
        ));
        assert!(notes.iter().any(|n| n.code() == "double_extension"));
    }

    #[test]
    fn trailing_dots_do_not_hide_extension() {
        let mut notes = Vec::new();
        assert!(check_attachment_name("setup.exe. . ", "", &mut notes));
    }

    #[test]
    fn plain_pdf_is_fine() {
        let mut notes = Vec::new();
        assert!(!check_attachment_name(
            "report.pdf",
            "application/pdf",
            &mut notes
        ));
        assert!(notes.is_empty());
        assert!(!check_attachment_name("exe", "", &mut notes));
    }

    #[test]
    fn dangerous_content_type_without_extension() {
        let mut notes = Vec::new();
        assert!(check_attachment_name(
            "readme",
            "application/x-msdownload",
            &mut notes
        ));
    }

    #[test]
    fn every_listed_extension_is_dangerous() {
        for ext in [
            "exe", "scr", "lnk", "hta", "js", "vbs", "bat", "cmd", "com", "pif", "msi", "jar",
            "ps1", "wsf", "cpl", "iso", "img",
        ] {
            let mut notes = Vec::new();
            assert!(
                check_attachment_name(&format!("a.{ext}"), "", &mut notes),
                "{ext}"
            );
        }
    }

    #[test]
    fn safe_file_name_strips_paths_and_reserved() {
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name("..\\..\\Startup\\x.lnk"), "x.lnk");
        assert_eq!(safe_file_name("CON.txt"), "_CON.txt");
        assert_eq!(safe_file_name("a\u{202E}b:c?.txt"), "ab_c_.txt");
        assert_eq!(safe_file_name(" ... "), "attachment");
        let long = format!("{}.pdf", "x".repeat(500));
        let safe = safe_file_name(&long);
        assert_eq!(safe.chars().count(), 200);
        assert!(safe.ends_with(".pdf"));
    }
}
