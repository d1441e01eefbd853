//! An authenticated session and the commands sync needs, each built from typed parts
//! (mailbox names, UID sets, flags and search strings go through [`crate::encode`]) and
//! each read with a timeout on every response line.

use std::collections::BTreeSet;
use std::ops::RangeInclusive;
use std::time::Duration;

use imap_proto::rfc4315::UidSetMember;
use imap_proto::{
    AttributeValue, MailboxDatum, NameAttribute, Response, ResponseCode, Status, StatusAttribute,
};
use tokio::io::AsyncWriteExt as _;
use tokio::time::timeout;

use crate::connect::{ConnectOptions, ImapStream, Timeouts};
use crate::encode;
use crate::error::{ImapError, Result};

/// RFC 6154 special use of a mailbox (INBOX is treated as one too).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SpecialUse {
    /// The inbox.
    Inbox,
    /// `\Drafts`.
    Drafts,
    /// `\Sent`.
    Sent,
    /// `\Archive`.
    Archive,
    /// `\Junk`.
    Junk,
    /// `\Trash`.
    Trash,
    /// `\All`.
    All,
    /// `\Flagged`.
    Flagged,
}

impl SpecialUse {
    /// The RFC 6154 attribute (`\Sent`), or `INBOX`.
    pub fn as_str(self) -> &'static str {
        match self {
            SpecialUse::Inbox => "INBOX",
            SpecialUse::Drafts => "\\Drafts",
            SpecialUse::Sent => "\\Sent",
            SpecialUse::Archive => "\\Archive",
            SpecialUse::Junk => "\\Junk",
            SpecialUse::Trash => "\\Trash",
            SpecialUse::All => "\\All",
            SpecialUse::Flagged => "\\Flagged",
        }
    }

    /// Parses [`SpecialUse::as_str`].
    pub fn parse(s: &str) -> Option<SpecialUse> {
        [
            SpecialUse::Inbox,
            SpecialUse::Drafts,
            SpecialUse::Sent,
            SpecialUse::Archive,
            SpecialUse::Junk,
            SpecialUse::Trash,
            SpecialUse::All,
            SpecialUse::Flagged,
        ]
        .into_iter()
        .find(|u| u.as_str().eq_ignore_ascii_case(s))
    }
}

/// One mailbox from LIST.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailboxListing {
    /// The name, decoded from modified UTF-7.
    pub name: String,
    /// The hierarchy delimiter, if the server has hierarchy.
    pub delimiter: Option<String>,
    /// Special use.
    pub special_use: Option<SpecialUse>,
    /// False for `\Noselect` / `\NonExistent` placeholders.
    pub selectable: bool,
}

/// What a client remembers of a mailbox to resync it quickly (RFC 7162 QRESYNC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KnownState {
    /// UIDVALIDITY at the last sync.
    pub uidvalidity: u32,
    /// HIGHESTMODSEQ at the last sync.
    pub highestmodseq: u64,
}

/// The state of a mailbox after SELECT.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selected {
    /// UIDVALIDITY.
    pub uidvalidity: u32,
    /// UIDNEXT (0 when the server did not say).
    pub uidnext: u32,
    /// Number of messages.
    pub exists: u32,
    /// HIGHESTMODSEQ, when the mailbox supports mod-sequences.
    pub highestmodseq: Option<u64>,
    /// UIDs expunged since the known state (QRESYNC), as ranges.
    pub vanished: Vec<RangeInclusive<u32>>,
    /// Messages changed since the known state (QRESYNC).
    pub changed: Vec<Fetched>,
}

/// A STATUS answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MailboxStatus {
    /// Number of messages.
    pub messages: u32,
    /// UIDNEXT.
    pub uidnext: u32,
    /// UIDVALIDITY.
    pub uidvalidity: u32,
    /// HIGHESTMODSEQ (0 without CONDSTORE).
    pub highestmodseq: u64,
    /// Unseen messages.
    pub unseen: u32,
}

/// Which items to fetch; the command text is built from these, never from free text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FetchItems {
    /// FLAGS.
    pub flags: bool,
    /// INTERNALDATE and RFC822.SIZE.
    pub envelope_meta: bool,
    /// The header block (BODY.PEEK[HEADER]).
    pub header: bool,
    /// The whole message (BODY.PEEK[]).
    pub body: bool,
    /// MODSEQ (only when the server has CONDSTORE).
    pub modseq: bool,
}

/// One message from a FETCH.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fetched {
    /// UID.
    pub uid: u32,
    /// Flags as the server spells them, when fetched.
    pub flags: Option<Vec<String>>,
    /// MODSEQ.
    pub modseq: Option<u64>,
    /// INTERNALDATE as unix seconds.
    pub internal_date: Option<i64>,
    /// RFC822.SIZE.
    pub size: Option<u32>,
    /// The header block.
    pub header: Option<Vec<u8>>,
    /// The whole message.
    pub body: Option<Vec<u8>>,
}

/// Which UIDs a command is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UidRange {
    /// These UIDs.
    Set(Vec<u32>),
    /// Every UID from this one up (`N:*`).
    From(u32),
    /// The UIDs from the first to the second, inclusive (`N:M`).
    Span(u32, u32),
}

impl UidRange {
    fn encode(&self) -> Result<String> {
        match self {
            UidRange::Set(uids) => Ok(encode::uid_set(uids)?),
            UidRange::From(first) => Ok(format!("{}:*", (*first).max(1))),
            UidRange::Span(first, last) => Ok(format!("{}:{}", (*first).max(1), (*last).max(1))),
        }
    }
}

/// How STORE changes flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlagChange {
    /// Add these flags.
    Add,
    /// Remove these flags.
    Remove,
}

/// A SEARCH criterion (only what sync and the fallback search need).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SearchKey {
    /// Every message.
    All,
    /// Messages whose Message-ID header contains this.
    MessageId(String),
    /// Messages containing this text anywhere.
    Text(String),
}

/// Reads the next response with the command timeout. A macro because async-imap does
/// not export the type of a response, so no function can return one.
macro_rules! next_response {
    ($session:expr, $step:expr) => {
        timeout($session.timeouts.command, $session.inner.read_response())
            .await
            .map_err(|_| ImapError::Timeout {
                step: $step.to_owned(),
            })?
            .map_err(ImapError::from_io)?
            .ok_or_else(|| ImapError::ConnectionLost("closed by the server".to_owned()))?
    };
}

/// RFC 4315 COPYUID: where copied or moved messages went.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CopyUid {
    /// UIDVALIDITY of the target.
    pub uidvalidity: u32,
    /// Source UIDs, in the server's order.
    pub source: Vec<u32>,
    /// Target UIDs, pairwise with `source`.
    pub target: Vec<u32>,
}

/// What ended an IDLE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdleOutcome {
    /// The server reported a change (new mail, flags, expunges).
    Changed,
    /// Nothing happened before the timeout.
    Timeout,
}

/// An authenticated IMAP session.
pub struct ImapSession {
    inner: async_imap::Session<ImapStream>,
    caps: BTreeSet<String>,
    timeouts: Timeouts,
    qresync: bool,
    selected: Option<String>,
}

impl std::fmt::Debug for ImapSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapSession")
            .field("caps", &self.caps)
            .field("selected", &self.selected)
            .finish_non_exhaustive()
    }
}

/// Expands UID set members, refusing absurd sizes a hostile server could send.
fn expand(members: &[UidSetMember], cap: usize) -> Result<Vec<u32>> {
    let mut out = Vec::new();
    for m in members {
        let range = match m {
            UidSetMember::Uid(u) => *u..=*u,
            UidSetMember::UidRange(r) => r.clone(),
        };
        let len = (*range.end() as u64).saturating_sub(*range.start() as u64) + 1;
        if out.len() as u64 + len > cap as u64 {
            return Err(ImapError::LimitExceeded(format!(
                "a UID set of more than {cap} UIDs"
            )));
        }
        out.extend(range);
    }
    Ok(out)
}

/// Parses INTERNALDATE ("17-Jul-1996 02:44:25 -0700") into unix seconds.
pub fn parse_internal_date(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, rest) = s.split_once(' ')?;
    let (time, zone) = rest.trim().split_once(' ')?;
    let mut d = date.trim().split('-');
    let day: i64 = d.next()?.trim().parse().ok()?;
    let month = match d.next()?.to_ascii_lowercase().as_str() {
        "jan" => 1,
        "feb" => 2,
        "mar" => 3,
        "apr" => 4,
        "may" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => return None,
    };
    let year: i64 = d.next()?.parse().ok()?;
    let mut t = time.split(':');
    let (h, m, sec): (i64, i64, i64) = (
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
    );
    let sign = match zone.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let z: i64 = zone.get(1..)?.parse().ok()?;
    let offset = sign * ((z / 100) * 3600 + (z % 100) * 60);
    Some(days_from_civil(year, month, day) * 86400 + h * 3600 + m * 60 + sec - offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn fetched_from(attrs: &[AttributeValue<'_>]) -> Option<Fetched> {
    let mut f = Fetched::default();
    let mut has_uid = false;
    for a in attrs {
        match a {
            AttributeValue::Uid(u) => {
                f.uid = *u;
                has_uid = true;
            }
            AttributeValue::Flags(flags) => {
                f.flags = Some(flags.iter().map(|x| x.to_string()).collect());
            }
            AttributeValue::ModSeq(m) => f.modseq = Some(*m),
            AttributeValue::InternalDate(d) => f.internal_date = parse_internal_date(d),
            AttributeValue::Rfc822Size(s) => f.size = Some(*s),
            AttributeValue::BodySection {
                section: None,
                data,
                ..
            }
            | AttributeValue::Rfc822(data) => {
                f.body = Some(data.as_deref().unwrap_or_default().to_vec());
            }
            AttributeValue::BodySection {
                section: Some(_),
                data,
                ..
            }
            | AttributeValue::Rfc822Header(data) => {
                f.header = Some(data.as_deref().unwrap_or_default().to_vec());
            }
            _ => {}
        }
    }
    // A FETCH without UID is an unsolicited flag update for a sequence number; the
    // caller resyncs by mod-sequence instead of guessing which message it was.
    has_uid.then_some(f)
}

/// The most UIDs a COPYUID or VANISHED answer may name (a server claiming more is
/// broken or hostile; sync falls back to a full comparison).
const MAX_UIDS_IN_ANSWER: usize = 2_000_000;

impl ImapSession {
    pub(crate) async fn start(
        inner: async_imap::Session<ImapStream>,
        opts: &ConnectOptions,
    ) -> Result<ImapSession> {
        let mut s = ImapSession {
            inner,
            caps: BTreeSet::new(),
            timeouts: opts.timeouts,
            qresync: false,
            selected: None,
        };
        // Whatever the server sent around the login is stale now.
        while s.inner.unsolicited_responses.try_recv().is_ok() {}
        let mut caps = BTreeSet::new();
        s.run("CAPABILITY", "CAPABILITY", |r| {
            if let Response::Capabilities(list) = r {
                for c in list {
                    caps.insert(capability_name(c));
                }
            }
            Ok(())
        })
        .await?;
        s.caps = caps;
        if s.has("QRESYNC") {
            s.run("ENABLE", "ENABLE QRESYNC", |_| Ok(())).await?;
            s.qresync = true;
        }
        Ok(s)
    }

    /// True when the server announced `capability` (upper case, e.g. `MOVE`).
    pub fn has(&self, capability: &str) -> bool {
        self.caps.contains(capability)
    }

    /// The server's capabilities after login.
    pub fn capabilities(&self) -> &BTreeSet<String> {
        &self.caps
    }

    /// True when QRESYNC is enabled for this session.
    pub fn qresync(&self) -> bool {
        self.qresync
    }

    /// True when mod-sequences are available (CONDSTORE or QRESYNC).
    pub fn condstore(&self) -> bool {
        self.qresync || self.has("CONDSTORE")
    }

    /// The selected mailbox, if any.
    pub fn selected(&self) -> Option<&str> {
        self.selected.as_deref()
    }

    async fn send(&mut self, name: &str, command: &str) -> Result<imap_proto::RequestId> {
        timeout(self.timeouts.command, self.inner.run_command(command))
            .await
            .map_err(|_| ImapError::Timeout {
                step: format!("sending {name}"),
            })?
            .map_err(|e| ImapError::from_client(name, e))
    }

    /// Sends `command` and hands every response (the tagged one last) to `each`.
    async fn run(
        &mut self,
        name: &str,
        command: &str,
        mut each: impl FnMut(&Response<'_>) -> Result<()>,
    ) -> Result<()> {
        let id = self.send(name, command).await?;
        self.finish(name, &id, &mut each).await
    }

    async fn finish(
        &mut self,
        name: &str,
        id: &imap_proto::RequestId,
        each: &mut impl FnMut(&Response<'_>) -> Result<()>,
    ) -> Result<()> {
        loop {
            let resp = next_response!(self, name);
            match resp.parsed() {
                Response::Done {
                    tag,
                    status,
                    outcome,
                } if tag == id => {
                    each(resp.parsed())?;
                    let text = outcome
                        .information
                        .as_deref()
                        .unwrap_or_default()
                        .to_owned();
                    return match status {
                        Status::Ok => Ok(()),
                        Status::No => Err(ImapError::Refused {
                            command: name.to_owned(),
                            server_says: text,
                        }),
                        _ => Err(ImapError::Protocol {
                            command: name.to_owned(),
                            detail: text,
                        }),
                    };
                }
                Response::Data {
                    status: Status::Bye,
                    outcome,
                } => {
                    return Err(ImapError::ConnectionLost(format!(
                        "the server closed the session: {}",
                        outcome.information.as_deref().unwrap_or_default()
                    )));
                }
                other => each(other)?,
            }
        }
    }

    /// Lists every mailbox with its special use.
    pub async fn list(&mut self) -> Result<Vec<MailboxListing>> {
        let command = if self.has("SPECIAL-USE") && self.has("LIST-EXTENDED") {
            "LIST \"\" \"*\" RETURN (SPECIAL-USE)"
        } else {
            "LIST \"\" \"*\""
        };
        let mut out = Vec::new();
        self.run("LIST", command, |r| {
            if let Response::MailboxData(MailboxDatum::List(data)) = r {
                let name = encode::decode_mailbox_name(&data.name);
                let mut special_use = None;
                let mut selectable = true;
                for a in &data.name_attributes {
                    match a {
                        NameAttribute::NoSelect => selectable = false,
                        NameAttribute::Drafts => special_use = Some(SpecialUse::Drafts),
                        NameAttribute::Sent => special_use = Some(SpecialUse::Sent),
                        NameAttribute::Archive => special_use = Some(SpecialUse::Archive),
                        NameAttribute::Junk => special_use = Some(SpecialUse::Junk),
                        NameAttribute::Trash => special_use = Some(SpecialUse::Trash),
                        NameAttribute::All => special_use = Some(SpecialUse::All),
                        NameAttribute::Flagged => special_use = Some(SpecialUse::Flagged),
                        NameAttribute::Extension(e) if e.eq_ignore_ascii_case("\\NonExistent") => {
                            selectable = false
                        }
                        _ => {}
                    }
                }
                if name.eq_ignore_ascii_case("INBOX") {
                    special_use = Some(SpecialUse::Inbox);
                }
                out.push(MailboxListing {
                    name: if name.eq_ignore_ascii_case("INBOX") {
                        "INBOX".to_owned()
                    } else {
                        name
                    },
                    delimiter: data.delimiter.as_deref().map(str::to_owned),
                    special_use,
                    selectable,
                });
            }
            Ok(())
        })
        .await?;
        Ok(out)
    }

    /// STATUS of a mailbox that is not selected.
    pub async fn status(&mut self, mailbox: &str) -> Result<MailboxStatus> {
        let items = if self.condstore() {
            "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ)"
        } else {
            "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN)"
        };
        let command = format!("STATUS {} {items}", encode::mailbox_name(mailbox)?);
        let mut st = MailboxStatus::default();
        self.run("STATUS", &command, |r| {
            if let Response::MailboxData(MailboxDatum::Status { status, .. }) = r {
                for a in status {
                    match a {
                        StatusAttribute::Messages(n) => st.messages = *n,
                        StatusAttribute::UidNext(n) => st.uidnext = *n,
                        StatusAttribute::UidValidity(n) => st.uidvalidity = *n,
                        StatusAttribute::HighestModSeq(n) => st.highestmodseq = *n,
                        StatusAttribute::Unseen(n) => st.unseen = *n,
                        _ => {}
                    }
                }
            }
            Ok(())
        })
        .await?;
        Ok(st)
    }

    /// Selects a mailbox read-write. With QRESYNC and a `known` state, the answer also
    /// carries what vanished and what changed since then.
    pub async fn select(&mut self, mailbox: &str, known: Option<KnownState>) -> Result<Selected> {
        let name = encode::mailbox_name(mailbox)?;
        let command = match known {
            Some(k) if self.qresync && k.uidvalidity != 0 && k.highestmodseq != 0 => format!(
                "SELECT {name} (QRESYNC ({} {}))",
                k.uidvalidity, k.highestmodseq
            ),
            _ if self.condstore() && !self.qresync => format!("SELECT {name} (CONDSTORE)"),
            _ => format!("SELECT {name}"),
        };
        self.selected = None;
        let mut sel = Selected::default();
        let mut failure: Option<ImapError> = None;
        self.run("SELECT", &command, |r| {
            match r {
                Response::MailboxData(MailboxDatum::Exists(n)) => sel.exists = *n,
                Response::Data { outcome, .. } | Response::Done { outcome, .. } => {
                    match outcome.code {
                        Some(ResponseCode::UidValidity(v)) => sel.uidvalidity = v,
                        Some(ResponseCode::UidNext(v)) => sel.uidnext = v,
                        Some(ResponseCode::HighestModSeq(v)) => sel.highestmodseq = Some(v),
                        _ => {}
                    }
                }
                Response::Vanished { uids, .. } => {
                    let total: u64 = sel
                        .vanished
                        .iter()
                        .chain(uids.iter())
                        .map(|r| (*r.end() as u64).saturating_sub(*r.start() as u64) + 1)
                        .sum();
                    if total > u32::MAX as u64 {
                        failure = Some(ImapError::LimitExceeded("VANISHED".to_owned()));
                    }
                    sel.vanished.extend(uids.iter().cloned());
                }
                Response::Fetch(_, attrs) => {
                    if let Some(f) = fetched_from(attrs) {
                        sel.changed.push(f);
                    }
                }
                _ => {}
            }
            Ok(())
        })
        .await?;
        if let Some(e) = failure {
            return Err(e);
        }
        if sel.uidvalidity == 0 {
            return Err(ImapError::Protocol {
                command: "SELECT".to_owned(),
                detail: "the server sent no UIDVALIDITY".to_owned(),
            });
        }
        self.selected = Some(mailbox.to_owned());
        Ok(sel)
    }

    /// UID FETCH of `items` for `uids` of the selected mailbox; `changed_since` limits it
    /// to messages whose MODSEQ is higher (CONDSTORE). Each message is handed to `each` as
    /// it arrives, so a large fetch never sits in memory whole.
    pub async fn uid_fetch(
        &mut self,
        uids: &UidRange,
        items: FetchItems,
        changed_since: Option<u64>,
        mut each: impl FnMut(Fetched) -> Result<()>,
    ) -> Result<()> {
        let mut parts = vec!["UID"];
        if items.flags {
            parts.push("FLAGS");
        }
        if items.envelope_meta {
            parts.push("INTERNALDATE RFC822.SIZE");
        }
        let condstore = self.condstore();
        if items.modseq && condstore {
            parts.push("MODSEQ");
        }
        if items.body {
            parts.push("BODY.PEEK[]");
        } else if items.header {
            parts.push("BODY.PEEK[HEADER]");
        }
        let mut command = format!("UID FETCH {} ({})", uids.encode()?, parts.join(" "));
        if let Some(m) = changed_since.filter(|_| condstore) {
            command.push_str(&format!(" (CHANGEDSINCE {m})"));
        }
        self.run("FETCH", &command, |r| {
            if let Response::Fetch(_, attrs) = r
                && let Some(f) = fetched_from(attrs)
            {
                each(f)?;
            }
            Ok(())
        })
        .await
    }

    /// UID SEARCH in the selected mailbox.
    pub async fn uid_search(&mut self, key: &SearchKey) -> Result<Vec<u32>> {
        let literal_plus = self.has("LITERAL+");
        let criteria = match key {
            SearchKey::All => "ALL".to_owned(),
            SearchKey::MessageId(id) => {
                format!(
                    "HEADER Message-ID {}",
                    encode::string_arg(id, literal_plus)?
                )
            }
            SearchKey::Text(t) => format!("TEXT {}", encode::string_arg(t, literal_plus)?),
        };
        let charset = if criteria.is_ascii() {
            ""
        } else {
            "CHARSET UTF-8 "
        };
        let mut out = Vec::new();
        self.run("SEARCH", &format!("UID SEARCH {charset}{criteria}"), |r| {
            if let Response::MailboxData(MailboxDatum::Search(uids)) = r {
                out.extend(uids.iter().copied());
            }
            Ok(())
        })
        .await?;
        out.sort_unstable();
        Ok(out)
    }

    /// Adds or removes flags on messages of the selected mailbox.
    pub async fn uid_store(
        &mut self,
        uids: &[u32],
        change: FlagChange,
        flags: &[&str],
    ) -> Result<()> {
        let sign = match change {
            FlagChange::Add => '+',
            FlagChange::Remove => '-',
        };
        let command = format!(
            "UID STORE {} {sign}FLAGS.SILENT {}",
            encode::uid_set(uids)?,
            encode::flag_list(flags)?
        );
        self.run("STORE", &command, |_| Ok(())).await
    }

    fn copyuid_from(r: &Response<'_>, out: &mut Option<CopyUid>) -> Result<()> {
        let outcome = match r {
            Response::Data { outcome, .. } | Response::Done { outcome, .. } => outcome,
            _ => return Ok(()),
        };
        if let Some(ResponseCode::CopyUid(v, src, dst)) = &outcome.code {
            *out = Some(CopyUid {
                uidvalidity: *v,
                source: expand(src, MAX_UIDS_IN_ANSWER)?,
                target: expand(dst, MAX_UIDS_IN_ANSWER)?,
            });
        }
        Ok(())
    }

    /// Copies messages to `target`; returns COPYUID when the server has UIDPLUS.
    pub async fn uid_copy(&mut self, uids: &[u32], target: &str) -> Result<Option<CopyUid>> {
        let command = format!(
            "UID COPY {} {}",
            encode::uid_set(uids)?,
            encode::mailbox_name(target)?
        );
        let mut copy = None;
        self.run("COPY", &command, |r| Self::copyuid_from(r, &mut copy))
            .await?;
        Ok(copy)
    }

    /// Moves messages to `target`: MOVE when offered, else COPY, then \Deleted and
    /// UID EXPUNGE of exactly these UIDs (never a bare EXPUNGE that would remove other
    /// clients' deleted mail). Without MOVE or UIDPLUS the move is refused.
    pub async fn uid_move(&mut self, uids: &[u32], target: &str) -> Result<Option<CopyUid>> {
        if self.has("MOVE") {
            let command = format!(
                "UID MOVE {} {}",
                encode::uid_set(uids)?,
                encode::mailbox_name(target)?
            );
            let mut copy = None;
            self.run("MOVE", &command, |r| Self::copyuid_from(r, &mut copy))
                .await?;
            return Ok(copy);
        }
        if !self.has("UIDPLUS") {
            return Err(ImapError::Refused {
                command: "MOVE".to_owned(),
                server_says: "the server has neither MOVE nor UIDPLUS, so a move could \
                              expunge other clients' deleted mail"
                    .to_owned(),
            });
        }
        let copy = self.uid_copy(uids, target).await?;
        // Only after the copy's tagged OK: the source is removed once the target has it.
        self.uid_store(uids, FlagChange::Add, &["\\Deleted"])
            .await?;
        self.uid_expunge(uids).await?;
        Ok(copy)
    }

    /// Expunges exactly these UIDs (UIDPLUS).
    pub async fn uid_expunge(&mut self, uids: &[u32]) -> Result<()> {
        if !self.has("UIDPLUS") {
            return Err(ImapError::Refused {
                command: "UID EXPUNGE".to_owned(),
                server_says: "the server lacks UIDPLUS".to_owned(),
            });
        }
        let command = format!("UID EXPUNGE {}", encode::uid_set(uids)?);
        self.run("EXPUNGE", &command, |_| Ok(())).await
    }

    /// Appends a message; returns (UIDVALIDITY, UID) when the server has UIDPLUS.
    pub async fn append(
        &mut self,
        mailbox: &str,
        flags: &[&str],
        raw: &[u8],
    ) -> Result<Option<(u32, u32)>> {
        let command = format!(
            "APPEND {} {} {{{}}}",
            encode::mailbox_name(mailbox)?,
            encode::flag_list(flags)?,
            raw.len()
        );
        let id = self.send("APPEND", &command).await?;
        // Wait for the go-ahead, then send the message as the literal.
        self.await_continuation("APPEND", &id).await?;
        let stream = self.inner.get_mut();
        let write = async {
            stream.write_all(raw).await?;
            stream.write_all(b"\r\n").await?;
            stream.flush().await
        };
        timeout(self.timeouts.command, write)
            .await
            .map_err(|_| ImapError::Timeout {
                step: "sending a message".to_owned(),
            })?
            .map_err(ImapError::from_io)?;
        let mut appended = None;
        self.finish("APPEND", &id, &mut |r| {
            if let Response::Done { outcome, .. } = r
                && let Some(ResponseCode::AppendUid(v, uids)) = &outcome.code
            {
                appended = expand(uids, 1)?.first().map(|u| (*v, *u));
            }
            Ok(())
        })
        .await?;
        Ok(appended)
    }

    /// Waits for the server's go-ahead ("+") to command `id`; its refusal is an error.
    async fn await_continuation(&mut self, name: &str, id: &imap_proto::RequestId) -> Result<()> {
        loop {
            let resp = next_response!(self, name);
            match resp.parsed() {
                Response::Continue(_) => return Ok(()),
                Response::Done { tag, outcome, .. } if tag == id => {
                    return Err(ImapError::Refused {
                        command: name.to_owned(),
                        server_says: outcome
                            .information
                            .as_deref()
                            .unwrap_or_default()
                            .to_owned(),
                    });
                }
                _ => {}
            }
        }
    }

    /// Creates a mailbox.
    pub async fn create(&mut self, mailbox: &str) -> Result<()> {
        let command = format!("CREATE {}", encode::mailbox_name(mailbox)?);
        self.run("CREATE", &command, |_| Ok(())).await
    }

    /// Deletes a mailbox.
    pub async fn delete_mailbox(&mut self, mailbox: &str) -> Result<()> {
        let command = format!("DELETE {}", encode::mailbox_name(mailbox)?);
        self.run("DELETE", &command, |_| Ok(())).await
    }

    /// NOOP; returns true when the server reported a change in the selected mailbox.
    pub async fn noop(&mut self) -> Result<bool> {
        let mut changed = false;
        self.run("NOOP", "NOOP", |r| {
            changed |= is_change(r);
            Ok(())
        })
        .await?;
        Ok(changed)
    }

    /// IDLE on the selected mailbox until the server reports a change or `max` passes
    /// (callers keep `max` under 29 minutes, RFC 2177). A dead connection shows up as
    /// an error here or on the next command.
    pub async fn idle(&mut self, max: Duration) -> Result<IdleOutcome> {
        if !self.has("IDLE") {
            return Err(ImapError::Refused {
                command: "IDLE".to_owned(),
                server_says: "the server does not offer IDLE".to_owned(),
            });
        }
        let id = self.send("IDLE", "IDLE").await?;
        self.await_continuation("IDLE", &id).await?;
        let deadline = tokio::time::Instant::now() + max;
        let mut outcome = IdleOutcome::Timeout;
        loop {
            let now = tokio::time::Instant::now();
            if now >= deadline {
                break;
            }
            match timeout(deadline - now, self.inner.read_response()).await {
                Err(_) => break,
                Ok(Err(e)) => return Err(ImapError::from_io(e)),
                Ok(Ok(None)) => {
                    return Err(ImapError::ConnectionLost("closed during IDLE".to_owned()));
                }
                Ok(Ok(Some(resp))) => {
                    if let Response::Data {
                        status: Status::Bye,
                        ..
                    } = resp.parsed()
                    {
                        return Err(ImapError::ConnectionLost(
                            "the server ended IDLE".to_owned(),
                        ));
                    }
                    if is_change(resp.parsed()) {
                        outcome = IdleOutcome::Changed;
                        break;
                    }
                }
            }
        }
        timeout(
            self.timeouts.command,
            self.inner.run_command_untagged("DONE"),
        )
        .await
        .map_err(|_| ImapError::Timeout {
            step: "ending IDLE".to_owned(),
        })?
        .map_err(|e| ImapError::from_client("IDLE", e))?;
        self.finish("IDLE", &id, &mut |_| Ok(())).await?;
        Ok(outcome)
    }

    /// Logs out politely; errors are ignored (the connection is going away anyway).
    pub async fn logout(mut self) {
        let _ = timeout(Duration::from_secs(5), self.inner.logout()).await;
    }
}

fn is_change(r: &Response<'_>) -> bool {
    matches!(
        r,
        Response::MailboxData(MailboxDatum::Exists(_))
            | Response::Expunge(_)
            | Response::Vanished { .. }
            | Response::Fetch(..)
    )
}

fn capability_name(c: &imap_proto::Capability<'_>) -> String {
    use imap_proto::Capability as C;
    match c {
        C::Imap4rev1 => "IMAP4REV1".to_owned(),
        C::Auth(a) => format!("AUTH={}", a.to_ascii_uppercase()),
        C::Atom(a) => a.to_ascii_uppercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_date_is_unix_seconds_in_utc() {
        assert_eq!(parse_internal_date("01-Jan-1970 00:00:00 +0000"), Some(0));
        assert_eq!(
            parse_internal_date("17-Jul-1996 02:44:25 -0700"),
            Some(837_596_665)
        );
        assert_eq!(
            parse_internal_date(" 1-Feb-2024 08:00:00 +0800"),
            Some(1_706_745_600)
        );
        assert_eq!(parse_internal_date("garbage"), None);
        assert_eq!(parse_internal_date("01-Foo-2024 00:00:00 +0000"), None);
    }

    #[test]
    fn uid_sets_from_servers_are_capped() {
        let big = [UidSetMember::UidRange(1..=u32::MAX)];
        assert!(expand(&big, 1000).is_err());
        let ok = [UidSetMember::Uid(3), UidSetMember::UidRange(5..=7)];
        assert_eq!(expand(&ok, 10).unwrap(), vec![3, 5, 6, 7]);
    }
}
