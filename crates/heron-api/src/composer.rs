//! The window's composer over the drafts of [`crate::send`]: what the composer edits
//! is the user's own part of the body (HTML from the editor, or plain text), kept apart
//! from the quoted original of a reply or forward, which the composer shows only as
//! text and which is joined back when the draft is saved. The user's HTML goes through
//! the same sanitiser as mail, and images pasted into it (`data:` URLs) become inline
//! attachments.

use base64::Engine as _;
use heron_model::AccountId;
use heron_store::{BlobName, Store};
use serde::{Deserialize, Serialize};

use crate::local_data::store_error;
use crate::send::{DraftAttachment, DraftContent, NewAttachment, Respond};
use crate::{ApiError, ErrorCode, Heron};

/// An address the user may send as.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// Address.
    pub address: String,
    /// Display name.
    pub display_name: String,
}

/// An attachment as the composer lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ComposerAttachment {
    /// The stored blob.
    pub blob: String,
    /// File name.
    pub file_name: String,
    /// MIME type.
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    /// An image inside the body.
    pub inline: bool,
}

/// The quoted original of a reply or forward.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Quote {
    /// As text.
    pub text: String,
    /// Its first line when it introduces the quote ("On ..., X wrote:").
    pub header: String,
}

/// A message being written, as the composer opens it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ComposerState {
    /// `None` until the first save.
    pub draft_id: Option<i64>,
    /// Local version.
    pub version: i64,
    /// Account.
    pub account: String,
    /// Who the user may send as.
    pub identities: Vec<Identity>,
    /// From.
    pub from: String,
    /// To, as typed.
    pub to: String,
    /// Cc.
    pub cc: String,
    /// Bcc.
    pub bcc: String,
    /// Subject.
    pub subject: String,
    /// The user's part of the body, as HTML for the editor (inline images as `data:`).
    pub body_html: String,
    /// Plain text only.
    pub plain_text: bool,
    /// The user's part as text (edited when `plain_text`).
    pub body_text: String,
    /// The quoted original.
    pub quote: Option<Quote>,
    /// Attachments.
    pub attachments: Vec<ComposerAttachment>,
    /// The policy's limit on all attachments together, bytes.
    pub attachment_limit: u64,
    /// The undo-send delay, seconds.
    pub undo_seconds: u64,
}

/// A file the composer adds.
#[derive(Clone, Debug, Deserialize)]
pub struct AddedFile {
    /// File name.
    pub file_name: String,
    /// MIME type.
    pub content_type: String,
    /// Contents, base64.
    pub data_base64: String,
}

/// What the composer saves.
#[derive(Clone, Debug, Deserialize)]
pub struct ComposerInput {
    /// `None` for a draft never saved.
    pub draft_id: Option<i64>,
    /// Account.
    pub account: String,
    /// From.
    pub from: String,
    /// To.
    pub to: String,
    /// Cc.
    pub cc: String,
    /// Bcc.
    pub bcc: String,
    /// Subject.
    pub subject: String,
    /// The user's part, HTML.
    pub body_html: String,
    /// Plain text only.
    pub plain_text: bool,
    /// The user's part, text.
    pub body_text: String,
    /// Files added since the last save.
    #[serde(default)]
    pub new_attachments: Vec<AddedFile>,
    /// Blobs removed since the last save.
    #[serde(default)]
    pub removed_attachments: Vec<String>,
}

/// A saved composer draft.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ComposerSaved {
    /// Draft id.
    pub draft_id: i64,
    /// Version.
    pub version: i64,
    /// Unix seconds.
    pub saved_at: i64,
    /// Attachments now.
    pub attachments: Vec<ComposerAttachment>,
}

/// Someone the user corresponds with, for address autocomplete.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Correspondent {
    /// Display name (may be empty).
    pub name: String,
    /// Address.
    pub address: String,
}

/// The composer's own parts of a draft, kept beside the built message so a draft
/// reopens the way it was written.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ComposerParts {
    /// The user's part as sanitised HTML (inline images as `cid:`).
    pub words_html: Option<String>,
    /// The user's part as text.
    pub words_text: String,
    /// Plain text only.
    pub plain_text: bool,
    /// The quoted original, HTML (already sanitised when it was quoted).
    pub quote_html: Option<String>,
    /// The quoted original, text.
    pub quote_text: Option<String>,
}

fn bad_input(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidValue, message)
}

fn account_id(account: &str) -> Result<AccountId, ApiError> {
    AccountId::new(account.to_owned()).map_err(|e| bad_input(e.to_string()))
}

/// Escapes text for HTML.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Text as editor HTML: a paragraph per line.
fn text_to_html(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                "<p><br></p>".to_owned()
            } else {
                format!("<p>{}</p>", escape(l))
            }
        })
        .collect()
}

/// Pulls `data:` images out of sanitised HTML into inline attachments (`cid:` in the
/// HTML). Sanitised HTML writes every attribute as `name="value"`, so the scan is exact.
fn extract_inline_images(html: &str) -> (String, Vec<NewAttachment>) {
    const MARK: &str = " src=\"data:";
    let mut out = String::with_capacity(html.len());
    let mut files = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(MARK) {
        out.push_str(&rest[..at]);
        let value_start = at + " src=\"".len();
        let Some(len) = rest[value_start..].find('"') else {
            out.push_str(&rest[at..]);
            rest = "";
            break;
        };
        let url = &rest[value_start..value_start + len];
        let parsed = url
            .strip_prefix("data:")
            .and_then(|u| u.split_once(";base64,"))
            .filter(|(mime, _)| mime.starts_with("image/"))
            .and_then(|(mime, data)| {
                base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .ok()
                    .map(|bytes| (mime.to_owned(), bytes))
            });
        // An image we cannot carry is left out, not the text around it.
        if let Some((mime, bytes)) = parsed {
            let n = files.len() + 1;
            let cid = format!("pasted-{n}-{}@heron", bytes.len());
            let ext = mime.strip_prefix("image/").unwrap_or("img");
            files.push(NewAttachment {
                file_name: format!("image-{n}.{ext}"),
                content_type: mime,
                data: bytes,
                content_id: Some(cid.clone()),
            });
            out.push_str(&format!(" src=\"cid:{cid}\""));
        }
        rest = &rest[value_start + len + 1..];
    }
    out.push_str(rest);
    (out, files)
}

/// The sanitiser writes `cid:` references as Heron's scheme; a sent message needs them
/// back as `cid:`.
fn plain_cid_urls(html: &str, key: &str) -> String {
    html.replace(&format!("{}://{key}/", heron_mime::CID_SCHEME), "cid:")
}

fn quote_header(text: &str) -> String {
    text.lines()
        .next()
        .filter(|l| l.trim_end().ends_with(':'))
        .unwrap_or_default()
        .to_owned()
}

impl Heron {
    fn composer_limits(&self) -> (u64, u64) {
        let features = self.policy().settings.features;
        (
            u64::from(features.attachment_size_limit_mb) * 1024 * 1024,
            u64::from(features.undo_send_delay_seconds),
        )
    }

    fn identities(&self, account: &AccountId) -> Result<Vec<Identity>, ApiError> {
        let config = self.account(account)?;
        let mut out = vec![Identity {
            address: config.email.clone(),
            display_name: config.display_name.clone(),
        }];
        out.extend(config.identities.iter().map(|i| {
            Identity {
                address: i.email.clone(),
                display_name: i
                    .display_name
                    .clone()
                    .unwrap_or_else(|| config.display_name.clone()),
            }
        }));
        Ok(out)
    }

    fn signature_html(&self, account: &AccountId, from: &str) -> Result<String, ApiError> {
        Ok(self
            .signature(account, from)?
            .map(|s| format!("<p><br></p><p>-- </p>{}", text_to_html(&s)))
            .unwrap_or_default())
    }

    /// A new message from `account` (the first account when `None`).
    pub fn compose(&self, account: Option<&str>) -> Result<ComposerState, ApiError> {
        let account = match account {
            Some(a) => account_id(a)?,
            None => self
                .policy()
                .accounts
                .first()
                .map(|a| a.id.clone())
                .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "No account is set up"))?,
        };
        let identities = self.identities(&account)?;
        let from = identities
            .first()
            .map(|i| i.address.clone())
            .unwrap_or_default();
        let (limit, undo) = self.composer_limits();
        Ok(ComposerState {
            draft_id: None,
            version: 0,
            body_html: self.signature_html(&account, &from)?,
            body_text: self
                .signature(&account, &from)?
                .map(|s| format!("\n\n-- \n{s}"))
                .unwrap_or_default(),
            account: account.to_string(),
            identities,
            from,
            to: String::new(),
            cc: String::new(),
            bcc: String::new(),
            subject: String::new(),
            plain_text: false,
            quote: None,
            attachments: Vec::new(),
            attachment_limit: limit,
            undo_seconds: undo,
        })
    }

    /// A new message from a `mailto:` link (RFC 6068): recipients, subject and body from
    /// the link, from the first account. Other fields a link may carry (`attach`,
    /// `from`, arbitrary headers) are ignored: a link must not attach files or pick the
    /// sender.
    pub fn compose_mailto(&self, link: &str) -> Result<ComposerState, ApiError> {
        let url = url::Url::parse(link.trim())
            .ok()
            .filter(|u| u.scheme() == "mailto")
            .ok_or_else(|| bad_input("Not a mailto: link"))?;
        let mut state = self.compose(None)?;
        let decode = |s: &str| {
            url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        let mut to = vec![decode(url.path())];
        let mut body = String::new();
        for (key, value) in url.query_pairs() {
            let value = value.into_owned();
            match key.to_ascii_lowercase().as_str() {
                "to" => to.push(value),
                "cc" => state.cc = join_addresses(&state.cc, &value),
                "bcc" => state.bcc = join_addresses(&state.bcc, &value),
                "subject" => state.subject = value,
                "body" => body = value,
                _ => {}
            }
        }
        state.to = to
            .iter()
            .filter(|t| !t.trim().is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        for field in [
            &mut state.to,
            &mut state.cc,
            &mut state.bcc,
            &mut state.subject,
        ] {
            field.retain(|c| !c.is_control());
        }
        if !body.is_empty() {
            state.body_html = format!("{}{}", text_to_html(&body), state.body_html);
            state.body_text = format!("{body}{}", state.body_text);
        }
        Ok(state)
    }

    /// Starts a reply or forward of stored message `id` and saves it at once, so its
    /// quote, threading and carried-over files are kept with the draft.
    pub fn compose_response(
        &self,
        store: &mut Store,
        id: i64,
        how: Respond,
    ) -> Result<ComposerState, ApiError> {
        let start = self.respond_to(store, id, how)?;
        let own = Self::own_addresses(&self.account(&start.account)?);
        let from = own.first().cloned().unwrap_or_default();
        let signature = self.signature(&start.account, &from)?;
        let parts = ComposerParts {
            words_html: Some(self.signature_html(&start.account, &from)?),
            words_text: signature
                .map(|s| format!("\n\n-- \n{s}"))
                .unwrap_or_default(),
            plain_text: false,
            quote_html: start.content.html.clone(),
            quote_text: start.content.text.clone(),
        };
        let mut content = start.content;
        content.from = from;
        let content = with_parts(content, &parts);
        let saved = self.save_draft(store, &start.account, None, content, start.attachments)?;
        self.composer_state(store, saved.id)
    }

    /// Opens a message of a Drafts folder to go on writing.
    pub fn compose_from_draft_message(
        &self,
        store: &mut Store,
        message: i64,
    ) -> Result<ComposerState, ApiError> {
        let saved = self.open_draft(store, message)?;
        self.composer_state(store, saved.id)
    }

    /// A saved draft as the composer opens it (after undo send, or to go on writing).
    pub fn composer_state(&self, store: &Store, draft: i64) -> Result<ComposerState, ApiError> {
        let record = store
            .draft(draft)
            .map_err(store_error)?
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("No draft {draft}")))?;
        let content: DraftContent = serde_json::from_str(&record.content)
            .map_err(|e| ApiError::new(ErrorCode::StorageFailed, e.to_string()))?;
        let parts = content.composer.clone().unwrap_or_else(|| ComposerParts {
            // A draft another client wrote: all of it is the user's, cleaned.
            words_html: content.html.as_deref().map(|h| {
                let key = "draft";
                let clean = heron_mime::sanitize_html(
                    h,
                    &heron_mime::SanitizeContext {
                        message_key: key.to_owned(),
                        max_links_checked: 0,
                    },
                );
                plain_cid_urls(&clean.html, key)
            }),
            words_text: content.text.clone().unwrap_or_default(),
            plain_text: content.html.is_none(),
            quote_html: None,
            quote_text: None,
        });
        let blobs = store.blobs(&record.account);
        let mut body_html = parts.words_html.clone().unwrap_or_default();
        for a in content
            .attachments
            .iter()
            .filter(|a| a.content_id.is_some())
        {
            let Some(cid) = &a.content_id else { continue };
            let reference = format!("cid:{cid}");
            if !body_html.contains(&reference) {
                continue;
            }
            let Some(name) = BlobName::parse(&a.blob) else {
                continue;
            };
            let bytes = blobs.get(&name).map_err(store_error)?;
            let data = base64::engine::general_purpose::STANDARD.encode(&bytes[..]);
            body_html = body_html.replace(
                &reference,
                &format!("data:{};base64,{data}", a.content_type),
            );
        }
        let (limit, undo) = self.composer_limits();
        Ok(ComposerState {
            draft_id: Some(record.id),
            version: record.version,
            account: record.account.to_string(),
            identities: self.identities(&record.account)?,
            from: if content.from.is_empty() {
                self.account(&record.account)?.email.clone()
            } else {
                content.from.clone()
            },
            to: content.to.clone(),
            cc: content.cc.clone(),
            bcc: content.bcc.clone(),
            subject: content.subject.clone(),
            body_html,
            plain_text: parts.plain_text,
            body_text: parts.words_text.clone(),
            quote: parts
                .quote_text
                .clone()
                .filter(|t| !t.is_empty())
                .map(|text| {
                    let header = quote_header(&text);
                    let body = if header.is_empty() {
                        text
                    } else {
                        text.lines().skip(1).collect::<Vec<_>>().join("\n")
                    };
                    Quote { header, text: body }
                }),
            attachments: listed(&content.attachments, parts.quote_html.as_deref()),
            attachment_limit: limit,
            undo_seconds: undo,
        })
    }

    /// Saves what the composer holds.
    pub fn save_composer(
        &self,
        store: &mut Store,
        input: ComposerInput,
        now: i64,
    ) -> Result<ComposerSaved, ApiError> {
        let account = account_id(&input.account)?;
        let previous: Option<DraftContent> = match input.draft_id {
            Some(id) => {
                let record = store
                    .draft(id)
                    .map_err(store_error)?
                    .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("No draft {id}")))?;
                if record.account != account {
                    return Err(bad_input("The draft belongs to another account"));
                }
                Some(
                    serde_json::from_str(&record.content)
                        .map_err(|e| ApiError::new(ErrorCode::StorageFailed, e.to_string()))?,
                )
            }
            None => None,
        };
        let previous = previous.unwrap_or_default();
        let old_parts = previous.composer.clone().unwrap_or_default();
        let mut files = Vec::new();
        for f in input.new_attachments {
            let data = base64::engine::general_purpose::STANDARD
                .decode(f.data_base64.as_bytes())
                .map_err(|e| bad_input(format!("{} is not valid base64: {e}", f.file_name)))?;
            files.push(NewAttachment {
                file_name: f.file_name,
                content_type: f.content_type,
                data,
                content_id: None,
            });
        }
        let (words_html, words_text) = if input.plain_text {
            (None, input.body_text.clone())
        } else {
            let key = "composer";
            let clean = heron_mime::sanitize_html(
                &input.body_html,
                &heron_mime::SanitizeContext {
                    message_key: key.to_owned(),
                    max_links_checked: 0,
                },
            );
            let (html, inline) = extract_inline_images(&plain_cid_urls(&clean.html, key));
            files.extend(inline);
            let text = heron_mime::html_to_text(&html);
            (Some(html), text)
        };
        let parts = ComposerParts {
            words_html,
            words_text,
            plain_text: input.plain_text,
            quote_html: old_parts.quote_html,
            quote_text: old_parts.quote_text,
        };
        // Files kept: the previous ones not removed; inline images are re-extracted from
        // the HTML at every save, so the old inline ones go.
        let kept: Vec<DraftAttachment> = previous
            .attachments
            .into_iter()
            .filter(|a| !input.removed_attachments.contains(&a.blob))
            .filter(|a| {
                a.content_id.is_none()
                    || parts
                        .quote_html
                        .as_deref()
                        .is_some_and(|q| a.content_id.as_deref().is_some_and(|c| q.contains(c)))
            })
            .collect();
        let content = with_parts(
            DraftContent {
                from: input.from,
                to: input.to,
                cc: input.cc,
                bcc: input.bcc,
                subject: input.subject,
                attachments: kept,
                in_reply_to: previous.in_reply_to,
                references: previous.references,
                ..DraftContent::default()
            },
            &parts,
        );
        let saved = self.save_draft(store, &account, input.draft_id, content, files)?;
        let state = self.composer_state(store, saved.id)?;
        Ok(ComposerSaved {
            draft_id: saved.id,
            version: saved.version,
            saved_at: now,
            attachments: state.attachments,
        })
    }

    /// Takes a send back (undo) and returns the draft to the composer.
    pub fn undo_send(&self, store: &mut Store, outbox: i64) -> Result<ComposerState, ApiError> {
        let record = store
            .outgoing(outbox)
            .map_err(store_error)?
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::NotFound,
                    format!("No message {outbox} in the outbox"),
                )
            })?;
        if !crate::send::cancel_send(store, outbox)? {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "The message has already left; it cannot be taken back",
            ));
        }
        self.composer_state(store, record.draft)
    }
}

fn join_addresses(existing: &str, more: &str) -> String {
    if existing.trim().is_empty() {
        more.to_owned()
    } else {
        format!("{existing}, {more}")
    }
}

/// The message's bodies from the composer's parts, and the parts kept with it.
fn with_parts(mut content: DraftContent, parts: &ComposerParts) -> DraftContent {
    let quote_text = parts.quote_text.clone().unwrap_or_default();
    content.text = Some(if quote_text.is_empty() {
        parts.words_text.clone()
    } else {
        format!("{}\n\n{quote_text}", parts.words_text)
    });
    content.html = if parts.plain_text {
        None
    } else {
        let words = parts.words_html.clone().unwrap_or_default();
        Some(format!(
            "{words}{}",
            parts.quote_html.clone().unwrap_or_default()
        ))
    };
    content.composer = Some(parts.clone());
    content
}

/// The attachments the composer lists: files, and the inline images of the user's
/// part (not those of the quote, which it does not show).
fn listed(attachments: &[DraftAttachment], quote_html: Option<&str>) -> Vec<ComposerAttachment> {
    attachments
        .iter()
        .filter(|a| {
            !a.content_id
                .as_deref()
                .is_some_and(|c| quote_html.is_some_and(|q| q.contains(c)))
        })
        .map(|a| ComposerAttachment {
            blob: a.blob.clone(),
            file_name: a.file_name.clone(),
            content_type: a.content_type.clone(),
            size: a.size,
            inline: a.content_id.is_some(),
        })
        .collect()
}

/// People the user corresponds with whose name or address contains `query`: senders
/// of stored mail and recipients of sent mail, most frequent first.
pub fn recent_correspondents(
    store: &Store,
    query: &str,
    limit: u32,
) -> Result<Vec<Correspondent>, ApiError> {
    let query = query.trim();
    if query.is_empty() {
        return Ok(Vec::new());
    }
    let mut scored: Vec<(Correspondent, i64)> = Vec::new();
    let mut add = |name: &str, address: &str, weight: i64| {
        let address = address.trim().to_owned();
        if address.is_empty() {
            return;
        }
        match scored
            .iter_mut()
            .find(|(c, _)| c.address.eq_ignore_ascii_case(&address))
        {
            Some((c, n)) => {
                *n += weight;
                if c.name.is_empty() {
                    c.name = name.to_owned();
                }
            }
            None => scored.push((
                Correspondent {
                    name: name.to_owned(),
                    address,
                },
                weight,
            )),
        }
    };
    for (name, address, count) in store.senders_matching(query, 50).map_err(store_error)? {
        add(&name, &address, count);
    }
    let needle = query.to_lowercase();
    for list in store
        .sent_recipients_matching(query, 200)
        .map_err(store_error)?
    {
        for a in heron_mime::parse_address_list("to", &list).unwrap_or_default() {
            let name = a.name.clone().unwrap_or_default();
            if name.to_lowercase().contains(&needle) || a.email.to_lowercase().contains(&needle) {
                // Someone the user wrote to counts more than someone who wrote.
                add(&name, &a.email, 3);
            }
        }
    }
    scored.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.address.cmp(&b.0.address)));
    Ok(scored
        .into_iter()
        .take(limit as usize)
        .map(|(c, _)| c)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_images_become_inline_attachments() {
        let html = r#"<p>a</p><img src="data:image/png;base64,iVBORw0KGgo="><img src="data:text/html;base64,PHA+"><p>b</p>"#;
        let (out, files) = extract_inline_images(html);
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].content_type, "image/png");
        let cid = files[0].content_id.clone().unwrap();
        assert_eq!(
            out,
            format!(r#"<p>a</p><img src="cid:{cid}"><img><p>b</p>"#)
        );
    }

    #[test]
    fn mailto_links_fill_recipients_subject_and_body_and_nothing_else() {
        let (_dir, heron) = crate::tests::heron_with_account();
        let state = heron
            .compose_mailto(
                "mailto:wei%40example.com,li@example.com?cc=ops@example.com&subject=Hello%20there&body=Line%201%0ALine%20%3Cb%3E2%3C%2Fb%3E&attach=/etc/passwd&from=ceo@example.com&X-Evil=1",
            )
            .unwrap();
        assert_eq!(state.to, "wei@example.com,li@example.com");
        assert_eq!(state.cc, "ops@example.com");
        assert_eq!(state.subject, "Hello there");
        assert!(
            state
                .body_html
                .starts_with("<p>Line 1</p><p>Line &lt;b&gt;2&lt;/b&gt;</p>")
        );
        assert!(state.attachments.is_empty());
        assert_eq!(state.from, "alice@example.test");
        assert!(heron.compose_mailto("https://example.com").is_err());
        let injected = heron
            .compose_mailto("mailto:a@example.com?subject=Hi%0D%0ABcc:%20x@evil.example")
            .unwrap();
        assert_eq!(injected.subject, "HiBcc: x@evil.example");
    }

    #[test]
    fn text_becomes_escaped_paragraphs() {
        assert_eq!(
            text_to_html("Alice <CEO>\n\nA & B"),
            "<p>Alice &lt;CEO&gt;</p><p><br></p><p>A &amp; B</p>"
        );
    }
}
