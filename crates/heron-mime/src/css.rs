//! A small filter for inline `style` declarations.
//!
//! Mail layouts live in inline styles, so dropping them all makes newsletters
//! unreadable; passing them through lets CSS load things (`url()`), run legacy script
//! (`expression()`, `behavior`, `-moz-binding`) or cover the reader's own UI
//! (`position: fixed`). This keeps an allowlist of layout and typography properties
//! and refuses any value with a construct it does not understand. The output is
//! re-serialised canonically (`name: value; ...`), so filtering twice changes nothing.

/// Properties real mail uses for layout and typography and that cannot load anything
/// or escape the message area. `background` and `background-image` are accepted only
/// as long as their `url()`s are handled by the caller's policy.
const ALLOWED_PROPERTIES: &[&str] = &[
    "background",
    "background-color",
    "background-image",
    "background-position",
    "background-repeat",
    "background-size",
    "border",
    "border-bottom",
    "border-bottom-color",
    "border-bottom-left-radius",
    "border-bottom-right-radius",
    "border-bottom-style",
    "border-bottom-width",
    "border-collapse",
    "border-color",
    "border-left",
    "border-left-color",
    "border-left-style",
    "border-left-width",
    "border-radius",
    "border-right",
    "border-right-color",
    "border-right-style",
    "border-right-width",
    "border-spacing",
    "border-style",
    "border-top",
    "border-top-color",
    "border-top-left-radius",
    "border-top-right-radius",
    "border-top-style",
    "border-top-width",
    "border-width",
    "box-sizing",
    "caption-side",
    "clear",
    "color",
    "direction",
    "display",
    "empty-cells",
    "float",
    "font",
    "font-family",
    "font-size",
    "font-stretch",
    "font-style",
    "font-variant",
    "font-weight",
    "height",
    "letter-spacing",
    "line-height",
    "list-style",
    "list-style-position",
    "list-style-type",
    "margin",
    "margin-bottom",
    "margin-left",
    "margin-right",
    "margin-top",
    "max-height",
    "max-width",
    "min-height",
    "min-width",
    "opacity",
    "outline",
    "overflow",
    "overflow-wrap",
    "overflow-x",
    "overflow-y",
    "padding",
    "padding-bottom",
    "padding-left",
    "padding-right",
    "padding-top",
    "position",
    "table-layout",
    "text-align",
    "text-decoration",
    "text-decoration-color",
    "text-decoration-line",
    "text-decoration-style",
    "text-indent",
    "text-overflow",
    "text-transform",
    "vertical-align",
    "visibility",
    "white-space",
    "width",
    "word-break",
    "word-spacing",
    "word-wrap",
];

/// What one `url(...)` in a declaration should become.
pub(crate) enum UrlDecision {
    /// Keep the declaration with this URL in place of the original.
    Keep(String),
    /// Remote: take the whole declaration out and keep it inert for later loading.
    Remote,
    /// Not acceptable at all: drop the declaration.
    Drop,
}

/// The result of filtering one `style` attribute.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct FilteredStyle {
    /// The declarations that may stay, canonically serialised (may be empty).
    pub kept: String,
    /// Declarations moved out because they load remote content, canonically serialised.
    pub remote: Vec<String>,
}

/// Filters a `style` attribute value. `decide_url` is asked about every `url()`.
pub(crate) fn filter_style(style: &str, decide_url: &dyn Fn(&str) -> UrlDecision) -> FilteredStyle {
    let mut out = FilteredStyle::default();
    let mut kept = Vec::new();
    for decl in split_top_level(style, ';') {
        let Some((name, value)) = decl.split_once(':') else {
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim();
        if value.is_empty() || !ALLOWED_PROPERTIES.contains(&name.as_str()) {
            continue;
        }
        if !value_is_plain(value) {
            continue;
        }
        let lower = value.to_ascii_lowercase();
        if name == "position" && !matches!(lower.as_str(), "static" | "relative") {
            continue;
        }
        if !lower.contains("url(") {
            kept.push(format!("{name}: {value}"));
            continue;
        }
        if !name.starts_with("background") {
            continue;
        }
        match rewrite_urls(value, decide_url) {
            UrlDecision::Keep(v) => kept.push(format!("{name}: {v}")),
            UrlDecision::Remote => out.remote.push(format!("{name}: {value}")),
            UrlDecision::Drop => {}
        }
    }
    out.kept = kept.join("; ");
    out
}

/// Whether a value uses only constructs this filter understands. Backslashes (CSS
/// escapes can spell `url` or `expression` invisibly), comments, `@`, angle brackets
/// and the legacy script hooks are refused outright.
fn value_is_plain(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    !(lower.contains('\\')
        || lower.contains("/*")
        || lower.contains('@')
        || lower.contains('<')
        || lower.contains('>')
        || lower.contains('{')
        || lower.contains('}')
        || lower.contains("expression")
        || lower.contains("javascript")
        || lower.contains("vbscript")
        || lower.contains("behavior")
        || lower.contains("binding")
        || lower.contains("image-set")
        || lower.contains("src(")
        || lower.contains("attr(")
        || lower.contains("var(")
        || lower.chars().any(|c| c.is_control()))
}

/// Rewrites every `url(...)` in `value`; the whole value is remote (or dropped) if any
/// one of its URLs is.
fn rewrite_urls(value: &str, decide_url: &dyn Fn(&str) -> UrlDecision) -> UrlDecision {
    let lower = value.to_ascii_lowercase();
    let mut out = String::new();
    let mut pos = 0;
    while let Some(found) = lower[pos..].find("url(") {
        let start = pos + found;
        out.push_str(&value[pos..start]);
        let inner_start = start + 4;
        let Some(close) = value[inner_start..].find(')') else {
            return UrlDecision::Drop;
        };
        let inner = value[inner_start..inner_start + close].trim();
        let inner = inner.trim_matches(|c| c == '"' || c == '\'').trim();
        match decide_url(inner) {
            UrlDecision::Keep(url) => {
                if url.contains(['"', '\'', '(', ')', ' ']) {
                    return UrlDecision::Drop;
                }
                out.push_str(&format!("url(\"{url}\")"));
            }
            other => return other,
        }
        pos = inner_start + close + 1;
    }
    out.push_str(&value[pos..]);
    UrlDecision::Keep(out)
}

/// Splits on `sep` outside quotes and parentheses.
pub(crate) fn split_top_level(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth = depth.saturating_sub(1),
            (None, c) if c == sep && depth == 0 => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote_policy(url: &str) -> UrlDecision {
        if url.starts_with("http") {
            UrlDecision::Remote
        } else if let Some(cid) = url.strip_prefix("cid:") {
            UrlDecision::Keep(format!("heron-cid://k/{cid}"))
        } else {
            UrlDecision::Drop
        }
    }

    #[test]
    fn keeps_layout_and_drops_dangerous() {
        let f = filter_style(
            "color:red; POSITION: fixed; width: 100px; behavior: url(x.htc); \
             background: expression(alert(1)); -moz-binding: url(x); font-size:12px",
            &remote_policy,
        );
        assert_eq!(f.kept, "color: red; width: 100px; font-size: 12px");
        assert!(f.remote.is_empty());
    }

    #[test]
    fn remote_url_moves_out_and_cid_is_rewritten() {
        let f = filter_style(
            "background-image: url('https://t.example/p.gif'); background: url(cid:logo) no-repeat",
            &remote_policy,
        );
        assert_eq!(f.kept, "background: url(\"heron-cid://k/logo\") no-repeat");
        assert_eq!(
            f.remote,
            ["background-image: url('https://t.example/p.gif')"]
        );
    }

    #[test]
    fn escapes_and_urls_in_other_properties_are_dropped() {
        let f = filter_style(
            "color: \\75rl(x); list-style: url(http://x/y); font-family: 'a;b'",
            &remote_policy,
        );
        assert_eq!(f.kept, "font-family: 'a;b'");
    }

    #[test]
    fn filtering_is_idempotent() {
        let once = filter_style(
            "color:red;;margin : 0 auto ; background:url(cid:a)",
            &remote_policy,
        );
        let twice = filter_style(&once.kept, &|u| {
            if u.starts_with("heron-cid:") {
                UrlDecision::Keep(u.to_owned())
            } else {
                UrlDecision::Drop
            }
        });
        assert_eq!(once.kept, twice.kept);
    }
}
