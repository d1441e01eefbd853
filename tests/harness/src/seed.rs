//! Deterministic generator of realistic mail, written straight into a Dovecot Maildir.
//!
//! Every message is a pure function of `(SeedOptions, index)`: the same options give
//! the same bytes on every machine, so tests and benchmarks can name messages by index
//! and regenerate any one of them to compare with what a server returns. No clock and
//! no OS randomness are read; `now_unix` and `seed` come in through the options.
//!
//! The mix is meant to hurt a mail client the way real mailboxes do: Chinese text in
//! UTF-8, GB2312 and GBK; RFC 2047 words (B and Q) in subjects and display names;
//! quoted-printable and base64 bodies; HTML-only mail; attachments from a few hundred
//! bytes to several megabytes; inline images; threads; mailing-list headers; and about
//! 1.5% deliberately malformed messages.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{Context as _, Result, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, NO_PAD, STANDARD as BASE64};
use encoding_rs::{Encoding, GBK, UTF_8};

use crate::directory_data::{self, PersonRow};

/// How much mail to generate, for whom, and where it goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedOptions {
    /// Number of messages; indexes run from 0 to `messages - 1`.
    pub messages: usize,
    /// PRNG seed; also part of every Message-ID, so two seeds never collide.
    pub seed: u64,
    /// Folders and their relative weights. `INBOX` is the Maildir root; other names
    /// use `/` as the hierarchy separator (`Projects/Alpha`). A folder named `Sent`
    /// (or `Sent Items`, `Sent Messages`) holds mail from the owner; one named
    /// `Newsletters` holds mailing-list mail; `Projects/<Name>` mail is tagged `[Name]`.
    pub folders: Vec<(String, u32)>,
    /// Every `large_attachment_every`-th message carries a multi-megabyte attachment;
    /// 0 means never.
    pub large_attachment_every: usize,
    /// The mailbox owner as (display name, address).
    pub owner: (String, String),
    /// "Now", in Unix seconds: dates spread over the five years before it.
    pub now_unix: i64,
}

impl SeedOptions {
    /// Options with a realistic folder mix (INBOX heavy, Sent, Archive,
    /// Projects/Alpha, Newsletters), a fixed seed, one large attachment per thousand
    /// messages, and `now_unix` fixed at 2026-01-01T00:00:00Z so the default is fully
    /// deterministic; set `now_unix` to the real time when that matters.
    pub fn new(messages: usize, owner_name: &str, owner_addr: &str) -> Self {
        SeedOptions {
            messages,
            seed: 0x4845_524F_4E00, // "HERON"
            folders: vec![
                ("INBOX".to_owned(), 55),
                ("Sent".to_owned(), 15),
                ("Archive".to_owned(), 14),
                ("Projects/Alpha".to_owned(), 7),
                ("Newsletters".to_owned(), 9),
            ],
            large_attachment_every: 1000,
            owner: (owner_name.to_owned(), owner_addr.to_owned()),
            now_unix: 1_767_225_600,
        }
    }
}

/// The shape of a generated message; each kind appears in any mix of a thousand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MessageKind {
    /// English text/plain, 7bit, wrapped at 72 columns.
    PlainText,
    /// UTF-8 text/plain with accented Latin text and long lines, quoted-printable.
    QuotedPrintable,
    /// text/html only, no plain-text alternative.
    Html,
    /// multipart/alternative with text/plain and text/html.
    Alternative,
    /// multipart/mixed with one or two small attachments (.txt, .csv, .ics).
    SmallAttachment,
    /// multipart/mixed with a PDF-like or ZIP-like attachment of several megabytes.
    LargeAttachment,
    /// multipart/related HTML referring to an inline JPEG by `cid:`.
    InlineImage,
    /// Chinese text/plain (sometimes with HTML) in UTF-8.
    ChineseUtf8,
    /// Chinese text/plain in GB2312 (only characters GB2312 has).
    ChineseGb2312,
    /// Chinese text/plain in GBK, including characters outside GB2312.
    ChineseGbk,
    /// Mailing-list mail with List-Id and List-Unsubscribe headers.
    Newsletter,
    /// A folded header whose continuation line does not start with whitespace.
    MalformedFolding,
    /// A Subject of raw 8-bit bytes (UTF-8 or GBK) with no RFC 2047 encoding.
    MalformedRawSubject,
    /// No Date header at all.
    MalformedMissingDate,
    /// A broken RFC 2047 encoded word in the Subject.
    MalformedEncodedWord,
    /// The Message-ID header appears twice (with the same id).
    MalformedDuplicateMessageId,
}

impl MessageKind {
    /// Every kind, in declaration order.
    pub const ALL: [MessageKind; 16] = [
        MessageKind::PlainText,
        MessageKind::QuotedPrintable,
        MessageKind::Html,
        MessageKind::Alternative,
        MessageKind::SmallAttachment,
        MessageKind::LargeAttachment,
        MessageKind::InlineImage,
        MessageKind::ChineseUtf8,
        MessageKind::ChineseGb2312,
        MessageKind::ChineseGbk,
        MessageKind::Newsletter,
        MessageKind::MalformedFolding,
        MessageKind::MalformedRawSubject,
        MessageKind::MalformedMissingDate,
        MessageKind::MalformedEncodedWord,
        MessageKind::MalformedDuplicateMessageId,
    ];

    /// Whether the message is deliberately malformed.
    pub fn is_malformed(self) -> bool {
        matches!(
            self,
            MessageKind::MalformedFolding
                | MessageKind::MalformedRawSubject
                | MessageKind::MalformedMissingDate
                | MessageKind::MalformedEncodedWord
                | MessageKind::MalformedDuplicateMessageId
        )
    }
}

const MALFORMED_KINDS: [MessageKind; 5] = [
    MessageKind::MalformedFolding,
    MessageKind::MalformedRawSubject,
    MessageKind::MalformedMissingDate,
    MessageKind::MalformedEncodedWord,
    MessageKind::MalformedDuplicateMessageId,
];

/// IMAP system flags a message is stored with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MessageFlags {
    /// `\Seen`, Maildir `S`.
    pub seen: bool,
    /// `\Flagged`, Maildir `F`.
    pub flagged: bool,
    /// `\Answered`, Maildir `R`.
    pub answered: bool,
}

impl MessageFlags {
    /// The Maildir info flags in the required ASCII order, e.g. `FRS`.
    pub fn maildir_suffix(self) -> String {
        let mut s = String::with_capacity(3);
        if self.flagged {
            s.push('F');
        }
        if self.answered {
            s.push('R');
        }
        if self.seen {
            s.push('S');
        }
        s
    }
}

/// One generated message: raw RFC 5322 bytes plus what a test needs to check them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedMessage {
    /// The index it was generated for.
    pub index: usize,
    /// Folder name as given in `SeedOptions::folders` (`INBOX` if there are none).
    pub folder: String,
    /// Message-ID with angle brackets, `<seed-{seed}-{index}@example.test>`.
    pub message_id: String,
    /// The moment in the Date header (or that a Date header would carry), Unix seconds.
    pub date_unix: i64,
    /// Flags it is stored with.
    pub flags: MessageFlags,
    /// The subject as intended, decoded. For malformed subjects this is what the
    /// sender meant, not what a parser will necessarily recover.
    pub subject: String,
    /// Its shape.
    pub kind: MessageKind,
    /// Index of the message this one replies to; always smaller than `index`.
    pub parent_index: Option<usize>,
    /// The raw message, CRLF line endings throughout.
    pub raw: Vec<u8>,
}

/// What `seed_maildir` wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    /// Messages written per folder name.
    pub per_folder: BTreeMap<String, usize>,
    /// Messages written in total.
    pub total_messages: usize,
    /// Bytes written in total (message files only).
    pub total_bytes: u64,
}

/// Generates message `index`. Pure: the same options and index give the same bytes.
pub fn generate_message(opts: &SeedOptions, index: usize) -> GeneratedMessage {
    let mut raw = Vec::with_capacity(8 * 1024);
    let meta = build_message(opts, index, &mut raw);
    GeneratedMessage {
        index,
        folder: folder_name(opts, meta.folder).to_owned(),
        message_id: message_id(opts, index),
        date_unix: meta.date,
        flags: meta.flags,
        subject: meta.subject,
        kind: meta.kind,
        parent_index: meta.parent,
        raw,
    }
}

/// Writes all `opts.messages` messages into the Maildir++ tree at `root`.
///
/// Creates `cur`, `new` and `tmp` for INBOX (the root) and for every folder
/// (`.Sent`, `.Projects.Alpha`, names in modified UTF-7), a `maildirfolder` marker in
/// each subfolder, and a `subscriptions` file listing every folder. Messages go into
/// `cur/` under Dovecot-style names, `<unix>.M<usecs>P<pid>Q<n>.<host>,S=<size>,W=<vsize>:2,<flags>`,
/// with the file's mtime set to the message date so Dovecot's INTERNALDATE matches.
/// No UIDs are assigned; run `doveadm force-resync` (or just open the mailbox).
/// Nothing is fsynced: this is test data.
pub fn seed_maildir(root: &Path, opts: &SeedOptions) -> Result<SeedReport> {
    if opts.folders.is_empty() {
        bail!("No folders to seed into");
    }
    if opts.folders.iter().all(|(_, weight)| *weight == 0) {
        bail!("Every folder has weight 0, so no message has anywhere to go");
    }
    let mut dirs = Vec::with_capacity(opts.folders.len());
    for (name, _) in &opts.folders {
        let dir = maildir_folder_dir(root, name)?;
        if dirs.contains(&dir) {
            bail!("Folder {name:?} is listed twice");
        }
        for sub in ["cur", "new", "tmp"] {
            let path = dir.join(sub);
            fs::create_dir_all(&path)
                .with_context(|| format!("Cannot create {}", path.display()))?;
        }
        if dir != root {
            let marker = dir.join("maildirfolder");
            File::create(&marker).with_context(|| format!("Cannot create {}", marker.display()))?;
        }
        dirs.push(dir);
    }
    write_subscriptions(root, opts)?;

    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8)
        .min(opts.messages.max(1));
    let dirs = &dirs;
    let partials = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| scope.spawn(move || write_share(opts, dirs, worker, workers)))
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .map_err(|_| anyhow!("A seeding thread panicked"))?
            })
            .collect::<Result<Vec<_>>>()
    })?;

    let mut report = SeedReport::default();
    for (name, _) in &opts.folders {
        report.per_folder.insert(name.clone(), 0);
    }
    for partial in partials {
        for (folder, count) in partial.per_folder.iter().enumerate() {
            *report
                .per_folder
                .entry(folder_name(opts, Some(folder)).to_owned())
                .or_default() += count;
        }
        report.total_messages += partial.messages;
        report.total_bytes += partial.bytes;
    }
    Ok(report)
}

/// The Maildir++ directory for `folder` under `root`: the root itself for INBOX,
/// `.A.B` for `A/B`, each level in IMAP modified UTF-7 as Dovecot stores it.
pub fn maildir_folder_dir(root: &Path, folder: &str) -> Result<PathBuf> {
    if folder.eq_ignore_ascii_case("INBOX") {
        return Ok(root.to_path_buf());
    }
    let mut dir_name = String::new();
    for level in folder.split('/') {
        if level.is_empty() || level.contains('.') || level.chars().any(char::is_control) {
            bail!(
                "Folder name {folder:?} cannot be stored in Maildir++ (empty level, dot or control character)"
            );
        }
        dir_name.push('.');
        dir_name.push_str(&modified_utf7(level));
    }
    Ok(root.join(dir_name))
}

// ---------------------------------------------------------------------------------
// Writing

struct SharePartial {
    per_folder: Vec<usize>,
    messages: usize,
    bytes: u64,
}

fn write_share(
    opts: &SeedOptions,
    dirs: &[PathBuf],
    worker: usize,
    workers: usize,
) -> Result<SharePartial> {
    let mut partial = SharePartial {
        per_folder: vec![0; dirs.len()],
        messages: 0,
        bytes: 0,
    };
    let pid = 1000 + opts.seed % 30_000;
    let mut raw = Vec::with_capacity(64 * 1024);
    let mut name = String::with_capacity(128);
    for index in (worker..opts.messages).step_by(workers) {
        raw.clear();
        let meta = build_message(opts, index, &mut raw);
        let folder = meta.folder.unwrap_or(0);
        let Some(dir) = dirs.get(folder) else {
            bail!("Message {index} chose folder {folder}, which does not exist");
        };
        name.clear();
        use std::fmt::Write as _;
        // Dovecot's own format; Q is the per-process delivery counter, unique here
        // because it is the index. The vsize equals the size: lines already end in CRLF.
        let _ = write!(
            name,
            "{}.M{}P{}Q{}.heron-seed,S={size},W={size}:2,{}",
            meta.date,
            (index as u64).wrapping_mul(7919) % 1_000_000,
            pid,
            index + 1,
            meta.flags.maildir_suffix(),
            size = raw.len(),
        );
        let path = dir.join("cur").join(&name);
        let mut file =
            File::create(&path).with_context(|| format!("Cannot create {}", path.display()))?;
        file.write_all(&raw)
            .with_context(|| format!("Cannot write {}", path.display()))?;
        let mtime = SystemTime::UNIX_EPOCH + Duration::from_secs(meta.date.max(0) as u64);
        file.set_modified(mtime)
            .with_context(|| format!("Cannot set the time of {}", path.display()))?;
        if let Some(count) = partial.per_folder.get_mut(folder) {
            *count += 1;
        }
        partial.messages += 1;
        partial.bytes += raw.len() as u64;
    }
    Ok(partial)
}

/// Dovecot's version 2 subscriptions file: a header, then one mailbox per line with
/// hierarchy levels separated by TAB, so it works whatever separator is configured.
fn write_subscriptions(root: &Path, opts: &SeedOptions) -> Result<()> {
    let mut text = String::from("V\t2\n\n");
    for (name, _) in &opts.folders {
        if name.eq_ignore_ascii_case("INBOX") {
            text.push_str("INBOX");
        } else {
            let levels: Vec<String> = name.split('/').map(modified_utf7).collect();
            text.push_str(&levels.join("\t"));
        }
        text.push('\n');
    }
    let path = root.join("subscriptions");
    fs::write(&path, text).with_context(|| format!("Cannot write {}", path.display()))
}

const MUTF7: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::IMAP_MUTF7, NO_PAD);

/// RFC 3501 modified UTF-7, as Dovecot stores mailbox names on disk.
fn modified_utf7(name: &str) -> String {
    fn flush(out: &mut String, pending: &mut Vec<u8>) {
        if !pending.is_empty() {
            out.push('&');
            out.push_str(&MUTF7.encode(&*pending));
            out.push('-');
            pending.clear();
        }
    }
    let mut out = String::with_capacity(name.len());
    let mut pending = Vec::new();
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut out, &mut pending);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                pending.extend_from_slice(&unit.to_be_bytes());
            }
        }
    }
    flush(&mut out, &mut pending);
    out
}

// ---------------------------------------------------------------------------------
// Planning: who, where, when, what about

/// Small, fast, good-enough PRNG; one independent stream per (seed, index, purpose).
struct SplitMix64(u64);

impl SplitMix64 {
    fn new(seed: u64, index: usize, stream: u64) -> Self {
        let mut rng = SplitMix64(
            seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
                ^ (index as u64)
                    .wrapping_add(1)
                    .wrapping_mul(0xD1B5_4A32_D192_ED03)
                ^ stream.wrapping_mul(0x8CB9_2BA7_2F3D_8DD7),
        );
        rng.next_u64();
        rng
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when n is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// True with probability `per_mille / 1000`.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.next_u64() % 1000 < per_mille
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items
            .get(self.below(items.len()))
            .copied()
            .unwrap_or_default()
    }

    /// Index into `weights` chosen in proportion to the weights.
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        if total == 0 {
            return 0;
        }
        let mut roll = self.next_u64() % total;
        for (i, &w) in weights.iter().enumerate() {
            if roll < u64::from(w) {
                return i;
            }
            roll -= u64::from(w);
        }
        0
    }
}

const STREAM_SKELETON: u64 = 1;
const STREAM_HEADERS: u64 = 2;
const STREAM_BODY: u64 = 3;
const STREAM_ATTACHMENT: u64 = 4;

const FIVE_YEARS: i64 = 5 * 365 * 86_400;
const MAX_THREAD_DEPTH: usize = 40;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FolderRole {
    Regular,
    Sent,
    Newsletters,
    Project,
}

fn folder_name(opts: &SeedOptions, folder: Option<usize>) -> &str {
    folder
        .and_then(|f| opts.folders.get(f))
        .map(|(name, _)| name.as_str())
        .unwrap_or("INBOX")
}

fn folder_role(name: &str) -> FolderRole {
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        "sent" | "sent items" | "sent messages" => FolderRole::Sent,
        "newsletters" => FolderRole::Newsletters,
        _ if lower.starts_with("projects/") => FolderRole::Project,
        _ => FolderRole::Regular,
    }
}

/// The folder is the first draw of the skeleton stream, so a message's folder can be
/// found without planning the rest of it.
fn folder_of(opts: &SeedOptions, index: usize) -> Option<usize> {
    if opts.folders.is_empty() {
        return None;
    }
    let mut rng = SplitMix64::new(opts.seed, index, STREAM_SKELETON);
    let weights: Vec<u32> = opts.folders.iter().map(|(_, w)| *w).collect();
    Some(rng.weighted(&weights))
}

fn role_of(opts: &SeedOptions, index: usize) -> FolderRole {
    folder_role(folder_name(opts, folder_of(opts, index)))
}

fn malformed_kind(index: usize) -> Option<MessageKind> {
    // Fixed positions rather than chance: exactly 1.5%, every kind in any 335.
    (index % 67 == 33).then(|| MALFORMED_KINDS[(index / 67) % MALFORMED_KINDS.len()])
}

fn is_large(opts: &SeedOptions, index: usize) -> bool {
    opts.large_attachment_every > 0 && (index + 1).is_multiple_of(opts.large_attachment_every)
}

/// The parent a message would reply to, before the depth limit.
fn raw_parent(opts: &SeedOptions, index: usize) -> Option<usize> {
    if index == 0 || malformed_kind(index).is_some() {
        return None;
    }
    let mut rng = SplitMix64::new(opts.seed, index, STREAM_SKELETON);
    rng.next_u64(); // the folder draw
    if !rng.chance(280) {
        return None;
    }
    let parent = index - 1 - rng.below(index.min(150));
    let replyable = |i| role_of(opts, i) != FolderRole::Newsletters;
    (replyable(index) && replyable(parent)).then_some(parent)
}

/// The parent after capping thread depth. Consistent across a thread: a message
/// within the cap has only ancestors within the cap.
fn parent_of(opts: &SeedOptions, index: usize) -> Option<usize> {
    let parent = raw_parent(opts, index)?;
    let mut current = parent;
    for _ in 0..MAX_THREAD_DEPTH {
        match raw_parent(opts, current) {
            Some(p) => current = p,
            None => return Some(parent),
        }
    }
    None
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lang {
    En,
    Zh,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Contact {
    name: String,
    addr: String,
    /// What a colleague would write after "Hi".
    greeting: String,
    tz_minutes: i32,
    title: String,
    org: String,
    org_zh: String,
}

impl Contact {
    fn has_chinese_name(&self) -> bool {
        self.name.chars().any(is_cjk)
    }

    fn domain(&self) -> &str {
        self.addr
            .rsplit_once('@')
            .map(|(_, d)| d)
            .unwrap_or("example.test")
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}')
}

struct External {
    name: &'static str,
    addr: &'static str,
    greeting: &'static str,
    tz_minutes: i32,
    title: &'static str,
    org: &'static str,
    org_zh: &'static str,
}

const EXTERNALS: &[External] = &[
    External {
        name: "李娜",
        addr: "li.na@huatong-logistics.example",
        greeting: "Na",
        tz_minutes: 480,
        title: "Procurement Manager",
        org: "Huatong Logistics",
        org_zh: "华通物流",
    },
    External {
        name: "赵磊",
        addr: "zhaolei@chuangxin-tech.example",
        greeting: "Lei",
        tz_minutes: 480,
        title: "CTO",
        org: "Chuangxin Tech",
        org_zh: "创新科技",
    },
    External {
        name: "周婷",
        addr: "ting.zhou@lianhe-bank.example",
        greeting: "Ting",
        tz_minutes: 480,
        title: "Relationship Manager",
        org: "Lianhe Bank",
        org_zh: "联合银行",
    },
    External {
        name: "杨晓东",
        addr: "yangxd@dongfang-media.example",
        greeting: "Xiaodong",
        tz_minutes: 480,
        title: "Editor",
        org: "Dongfang Media",
        org_zh: "东方传媒",
    },
    External {
        name: "林佳怡",
        addr: "jiayi.lin@formosa-tech.example",
        greeting: "Jiayi",
        tz_minutes: 480,
        title: "Project Manager",
        org: "Formosa Tech",
        org_zh: "宝岛科技",
    },
    External {
        name: "Sarah Johnson",
        addr: "sarah.johnson@northwind.example",
        greeting: "Sarah",
        tz_minutes: -300,
        title: "IT Director",
        org: "Northwind Traders",
        org_zh: "Northwind Traders",
    },
    External {
        name: "Marco Bianchi",
        addr: "m.bianchi@globex.example",
        greeting: "Marco",
        tz_minutes: 60,
        title: "Purchasing Lead",
        org: "Globex",
        org_zh: "Globex",
    },
    External {
        name: "Yuki Sato",
        addr: "yuki.sato@sakura-trading.example",
        greeting: "Yuki",
        tz_minutes: 540,
        title: "Operations Manager",
        org: "Sakura Trading",
        org_zh: "樱花贸易",
    },
    External {
        name: "Ahmed Hassan",
        addr: "ahmed.hassan@desert-systems.example",
        greeting: "Ahmed",
        tz_minutes: 240,
        title: "Solutions Architect",
        org: "Desert Systems",
        org_zh: "Desert Systems",
    },
    External {
        name: "Laura Fischer",
        addr: "laura.fischer@alpenbank.example",
        greeting: "Laura",
        tz_minutes: 60,
        title: "Compliance Officer",
        org: "Alpenbank",
        org_zh: "Alpenbank",
    },
    External {
        name: "Kevin Wong",
        addr: "kevin.wong@harbour-capital.example",
        greeting: "Kevin",
        tz_minutes: 480,
        title: "Analyst",
        org: "Harbour Capital",
        org_zh: "港湾资本",
    },
];

fn contact_from_row(row: &PersonRow) -> Contact {
    let greeting = row
        .romanised
        .and_then(|r| r.split(' ').next())
        .unwrap_or(row.given)
        .to_owned();
    Contact {
        name: row.cn.to_owned(),
        addr: format!("{}@example.test", row.uid),
        greeting,
        tz_minutes: row.office.utc_offset_minutes(),
        title: row.title.to_owned(),
        org: "Example Corp".to_owned(),
        org_zh: "示例公司".to_owned(),
    }
}

fn contact(n: usize) -> Contact {
    let people = directory_data::PEOPLE;
    if let Some(row) = people.get(n) {
        return contact_from_row(row);
    }
    let ext = EXTERNALS.get(n - people.len()).unwrap_or(&EXTERNALS[0]);
    Contact {
        name: ext.name.to_owned(),
        addr: ext.addr.to_owned(),
        greeting: ext.greeting.to_owned(),
        tz_minutes: ext.tz_minutes,
        title: ext.title.to_owned(),
        org: ext.org.to_owned(),
        org_zh: ext.org_zh.to_owned(),
    }
}

fn contact_count() -> usize {
    directory_data::PEOPLE.len() + EXTERNALS.len()
}

fn contact_is_chinese(n: usize) -> bool {
    match directory_data::PEOPLE.get(n) {
        Some(row) => row.cn.chars().any(is_cjk),
        None => EXTERNALS
            .get(n - directory_data::PEOPLE.len())
            .is_some_and(|e| e.name.chars().any(is_cjk)),
    }
}

fn owner_contact(opts: &SeedOptions) -> Contact {
    let (name, addr) = &opts.owner;
    let row = match addr.rsplit_once('@') {
        Some((local, domain)) if domain.eq_ignore_ascii_case("example.test") => {
            directory_data::PEOPLE.iter().find(|row| row.uid == local)
        }
        _ => None,
    };
    Contact {
        name: name.clone(),
        addr: addr.clone(),
        greeting: name.split(' ').next().unwrap_or(name).to_owned(),
        tz_minutes: row.map_or(480, |r| r.office.utc_offset_minutes()),
        title: row.map(|r| r.title.to_owned()).unwrap_or_default(),
        org: "Example Corp".to_owned(),
        org_zh: "示例公司".to_owned(),
    }
}

/// A random correspondent other than the owner, Chinese-named if asked.
fn pick_contact(rng: &mut SplitMix64, owner: &Contact, chinese: bool) -> Contact {
    for _ in 0..64 {
        let n = rng.below(contact_count());
        if chinese && !contact_is_chinese(n) {
            continue;
        }
        let c = contact(n);
        if !c.addr.eq_ignore_ascii_case(&owner.addr) {
            return c;
        }
    }
    contact(0)
}

struct NewsletterSource {
    name: &'static str,
    addr: &'static str,
    list_id: &'static str,
    lang: Lang,
    headlines: &'static [&'static str],
}

const NEWSLETTERS: &[NewsletterSource] = &[
    NewsletterSource {
        name: "TechWeekly",
        addr: "digest@techweekly.example",
        list_id: "weekly.techweekly.example",
        lang: Lang::En,
        headlines: &[
            "Why memory-safe languages are winning in infrastructure",
            "The state of email security in 2025",
            "Five lessons from scaling a sync engine",
            "Passkeys arrive in the enterprise",
            "What IMAP still gets right",
        ],
    },
    NewsletterSource {
        name: "Example Corp Internal Comms",
        addr: "comms@example.test",
        list_id: "all-staff.example.test",
        lang: Lang::En,
        headlines: &[
            "Quarterly all-hands recording and slides",
            "New office opening in Singapore",
            "Benefits enrolment closes Friday",
            "Meet the Mail Client team",
        ],
    },
    NewsletterSource {
        name: "Cloud Status Digest",
        addr: "noreply@status.cloudhost.example",
        list_id: "status-digest.cloudhost.example",
        lang: Lang::En,
        headlines: &[
            "Scheduled maintenance in ap-east-2",
            "Resolved: elevated API error rates",
            "Monthly availability report",
        ],
    },
    NewsletterSource {
        name: "行业观察周刊",
        addr: "weekly@hangye-guancha.example",
        list_id: "weekly.hangye-guancha.example",
        lang: Lang::Zh,
        headlines: &[
            "企业协同办公市场持续增长",
            "数据安全法实施一周年回顾",
            "制造业数字化转型的五个关键",
            "跨境电商物流成本分析",
        ],
    },
    NewsletterSource {
        name: "示例公司内部通讯",
        addr: "neibu@example.test",
        list_id: "neibu.example.test",
        lang: Lang::Zh,
        headlines: &[
            "年度优秀员工评选结果公布",
            "新版报销系统上线说明",
            "上海办公室搬迁进展",
            "第三季度经营情况简报",
        ],
    },
];

/// Everything about a message except its body, decided from the header stream.
struct Plan {
    index: usize,
    folder: Option<usize>,
    role: FolderRole,
    kind: MessageKind,
    lang: Lang,
    from: Contact,
    to: Vec<Contact>,
    cc: Vec<Contact>,
    root_subject: String,
    subject: String,
    date: i64,
    flags: MessageFlags,
    newsletter: Option<&'static NewsletterSource>,
    parent: Option<Box<Plan>>,
    charset: HeaderCharset,
    q_encoding: bool,
}

const KIND_WEIGHTS: [(MessageKind, u32); 9] = [
    (MessageKind::PlainText, 20),
    (MessageKind::QuotedPrintable, 8),
    (MessageKind::Html, 7),
    (MessageKind::Alternative, 16),
    (MessageKind::SmallAttachment, 10),
    (MessageKind::InlineImage, 5),
    (MessageKind::ChineseUtf8, 14),
    (MessageKind::ChineseGb2312, 8),
    (MessageKind::ChineseGbk, 4),
];

fn plan(opts: &SeedOptions, index: usize) -> Plan {
    let folder = folder_of(opts, index);
    let role = folder_role(folder_name(opts, folder));
    let parent = parent_of(opts, index).map(|p| Box::new(plan(opts, p)));
    let mut rng = SplitMix64::new(opts.seed, index, STREAM_HEADERS);
    let owner = owner_contact(opts);

    let kind = if let Some(kind) = malformed_kind(index) {
        kind
    } else if is_large(opts, index) {
        MessageKind::LargeAttachment
    } else if role == FolderRole::Newsletters {
        MessageKind::Newsletter
    } else {
        let weights: Vec<u32> = KIND_WEIGHTS.iter().map(|(_, w)| *w).collect();
        KIND_WEIGHTS[rng.weighted(&weights)].0
    };
    let newsletter =
        (kind == MessageKind::Newsletter).then(|| &NEWSLETTERS[rng.below(NEWSLETTERS.len())]);
    let lang = match kind {
        MessageKind::ChineseUtf8
        | MessageKind::ChineseGb2312
        | MessageKind::ChineseGbk
        | MessageKind::MalformedRawSubject
        | MessageKind::MalformedEncodedWord => Lang::Zh,
        MessageKind::Newsletter => newsletter.map_or(Lang::En, |n| n.lang),
        _ if rng.chance(150) => Lang::Zh,
        _ => Lang::En,
    };
    // Kinds whose point is the body text keep to Chinese-named senders; others may
    // still be Chinese (Lang::Zh above) in UTF-8.
    let wants_chinese_sender = matches!(
        kind,
        MessageKind::ChineseUtf8 | MessageKind::ChineseGb2312 | MessageKind::ChineseGbk
    );

    let (from, mut to) = if let Some(source) = newsletter {
        let from = Contact {
            name: source.name.to_owned(),
            addr: source.addr.to_owned(),
            greeting: String::new(),
            tz_minutes: 0,
            title: String::new(),
            org: source.name.to_owned(),
            org_zh: source.name.to_owned(),
        };
        (from, vec![owner.clone()])
    } else if role == FolderRole::Sent {
        let to = match &parent {
            Some(p) if p.from.addr != owner.addr => vec![p.from.clone()],
            Some(p) if !p.to.is_empty() => p.to.clone(),
            _ => (0..1 + rng.below(3))
                .map(|_| pick_contact(&mut rng, &owner, wants_chinese_sender))
                .collect(),
        };
        (owner.clone(), to)
    } else {
        let from = match &parent {
            Some(p) if p.from.addr == owner.addr => {
                p.to.first()
                    .cloned()
                    .unwrap_or_else(|| pick_contact(&mut rng, &owner, false))
            }
            Some(p) => {
                let others: Vec<&Contact> =
                    p.to.iter()
                        .chain(&p.cc)
                        .filter(|c| c.addr != owner.addr && c.addr != p.from.addr)
                        .collect();
                match others.get(rng.below(others.len().max(1))) {
                    Some(c) if rng.chance(500) => (*c).clone(),
                    _ => pick_contact(&mut rng, &owner, false),
                }
            }
            None => pick_contact(&mut rng, &owner, wants_chinese_sender),
        };
        let mut to = Vec::new();
        if let Some(p) = &parent
            && p.from.addr != from.addr
            && p.from.addr != owner.addr
        {
            to.push(p.from.clone());
        }
        to.push(owner.clone());
        if rng.chance(300) {
            to.push(pick_contact(&mut rng, &owner, false));
        }
        (from, to)
    };
    let mut cc = Vec::new();
    if newsletter.is_none() && rng.chance(250) {
        for _ in 0..1 + rng.below(2) {
            cc.push(pick_contact(&mut rng, &owner, false));
        }
    }
    // A message never lists the same address twice, or its sender as a recipient.
    let mut seen = vec![from.addr.clone()];
    to.retain(|c| {
        let fresh = !seen.contains(&c.addr);
        seen.push(c.addr.clone());
        fresh
    });
    cc.retain(|c| {
        let fresh = !seen.contains(&c.addr);
        seen.push(c.addr.clone());
        fresh
    });
    if to.is_empty() {
        to.push(pick_contact(&mut rng, &owner, false));
    }
    if kind == MessageKind::MalformedFolding && to.len() < 2 {
        let extra = pick_contact(&mut rng, &owner, false);
        if extra.addr != from.addr && !to.iter().any(|c| c.addr == extra.addr) {
            to.push(extra);
        } else {
            to.push(contact(contact_count() - 1));
        }
    }

    let start = opts.now_unix - FIVE_YEARS;
    let date = match &parent {
        Some(p) => {
            // Most replies come within hours, some after days.
            let delay = if rng.chance(800) {
                300 + rng.below(8 * 3600) as i64
            } else {
                86_400 + rng.below(5 * 86_400) as i64
            };
            (p.date + delay).min(opts.now_unix)
        }
        None => {
            let n = opts.messages.max(1) as i128;
            let base = start as i128 + (index as i128 * FIVE_YEARS as i128) / n;
            let jitter = rng.below(12 * 3600) as i128 - 6 * 3600;
            ((base + jitter) as i64).clamp(start, opts.now_unix)
        }
    };

    let root_subject = match (&parent, newsletter) {
        (Some(p), _) => p.root_subject.clone(),
        (None, Some(source)) => newsletter_subject(&mut rng, source, date),
        (None, None) => {
            let tag = (role == FolderRole::Project).then(|| {
                folder_name(opts, folder)
                    .rsplit('/')
                    .next()
                    .unwrap_or("Project")
                    .to_owned()
            });
            let base = match (kind, lang) {
                (MessageKind::ChineseGbk, _) => rng.pick(GBK_SUBJECTS).to_owned(),
                (_, Lang::Zh) => zh_subject(&mut rng, date),
                (_, Lang::En) => en_subject(&mut rng, date),
            };
            match tag {
                Some(tag) => format!("[{tag}] {base}"),
                None => base,
            }
        }
    };
    let subject = if parent.is_some() {
        format!("Re: {root_subject}")
    } else {
        root_subject.clone()
    };

    let recent = date > opts.now_unix - 3 * 86_400;
    let mut flags = MessageFlags::default();
    match role {
        FolderRole::Sent => flags.seen = true,
        FolderRole::Newsletters => flags.seen = rng.chance(650),
        FolderRole::Regular | FolderRole::Project => {
            flags.seen = if recent {
                rng.chance(300)
            } else {
                rng.chance(970)
            };
            flags.answered = flags.seen && rng.chance(150);
        }
    }
    flags.flagged = rng.chance(40);

    let charset = match kind {
        MessageKind::ChineseGb2312 => HeaderCharset::Gb2312,
        MessageKind::ChineseGbk => HeaderCharset::Gbk,
        _ => HeaderCharset::Utf8,
    };
    let q_encoding = rng.chance(400);

    Plan {
        index,
        folder,
        role,
        kind,
        lang,
        from,
        to,
        cc,
        root_subject,
        subject,
        date,
        flags,
        newsletter,
        parent,
        charset,
        q_encoding,
    }
}

// ---------------------------------------------------------------------------------
// Subjects and bodies

const EN_SUBJECTS: &[&str] = &[
    "Q{q} budget review",
    "Weekly sync: notes and action items",
    "Customer escalation: {company}",
    "Release {major}.{minor} planning",
    "Travel request: {city} trip",
    "Contract renewal for {company}",
    "Interview feedback for the {role} role",
    "Updated org chart",
    "Invoice {invoice} is overdue",
    "Proposal draft v{n} for review",
    "Offsite agenda and logistics",
    "Security review findings",
    "Onboarding checklist for new starters",
    "Expense report for {month}",
    "Roadmap discussion follow-up",
    "Server migration window this weekend",
    "QBR with {company}",
    "Pricing update for {region}",
    "Office closure over the holidays",
    "Lunch and learn: {topic}",
    "Can we move our 1:1?",
    "Draft press release for review",
    "Headcount plan for {year}",
    "Vendor shortlist for the {city} office",
    "Action needed: approve {month} timesheets",
];

const ZH_SUBJECTS: &[&str] = &[
    "会议纪要：产品评审会",
    "项目进度周报（第{n}周）",
    "{year}年第{q}季度报告",
    "关于调整考勤制度的通知",
    "请审批：差旅费用报销",
    "客户反馈汇总（{zhcompany}）",
    "下周{zhcity}出差安排",
    "合同续签事宜",
    "年终总结与明年计划",
    "培训通知：{zhtopic}",
    "预算调整申请",
    "系统升级维护通知",
    "新员工入职安排",
    "华东区销售数据分析",
    "供应商评估结果",
    "办公室搬迁通知",
    "项目进度更新",
    "{zhcompany}合作方案讨论",
];

/// Subjects with characters GB2312 lacks: traditional forms and rare given names.
const GBK_SUBJECTS: &[&str] = &[
    "關於下季度預算的說明",
    "王喆入职手续办理",
    "刘堃：模块验收报告",
    "陈赟的培训总结",
    "報價單確認",
];

const COMPANIES: &[&str] = &[
    "Northwind Traders",
    "Globex",
    "Huatong Logistics",
    "Sakura Trading",
    "Alpenbank",
    "Harbour Capital",
];
const ZH_COMPANIES: &[&str] = &["华通物流", "创新科技", "联合银行", "东方传媒", "樱花贸易"];
const CITIES: &[&str] = &[
    "Shanghai",
    "Singapore",
    "London",
    "Berlin",
    "Shenzhen",
    "Tokyo",
];
const ZH_CITIES: &[&str] = &["深圳", "杭州", "北京", "成都", "新加坡", "广州"];
const ROLES: &[&str] = &[
    "Senior Backend Engineer",
    "Account Executive",
    "UX Researcher",
    "Financial Analyst",
];
const TOPICS: &[&str] = &[
    "async Rust in practice",
    "negotiation skills",
    "GDPR basics",
    "writing good incident reports",
];
const ZH_TOPICS: &[&str] = &["信息安全意识", "沟通技巧", "项目管理基础", "新版报销系统"];
const MONTHS: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn fill_placeholders(rng: &mut SplitMix64, template: &str, date: i64) -> String {
    let (year, month, _) = civil_from_days(date.div_euclid(86_400));
    let mut out = template.to_owned();
    let replacements: [(&str, String); 14] = [
        ("{q}", (1 + (month - 1) / 3).to_string()),
        ("{year}", year.to_string()),
        ("{month}", MONTHS[((month - 1) as usize) % 12].to_owned()),
        ("{company}", rng.pick(COMPANIES).to_owned()),
        ("{zhcompany}", rng.pick(ZH_COMPANIES).to_owned()),
        ("{city}", rng.pick(CITIES).to_owned()),
        ("{zhcity}", rng.pick(ZH_CITIES).to_owned()),
        ("{role}", rng.pick(ROLES).to_owned()),
        ("{topic}", rng.pick(TOPICS).to_owned()),
        ("{zhtopic}", rng.pick(ZH_TOPICS).to_owned()),
        (
            "{region}",
            rng.pick(&["APAC", "EMEA", "North America"]).to_owned(),
        ),
        ("{major}", (1 + rng.below(4)).to_string()),
        ("{minor}", rng.below(10).to_string()),
        ("{invoice}", format!("INV-{}", 20_000 + rng.below(80_000))),
    ];
    for (key, value) in replacements {
        if out.contains(key) {
            out = out.replace(key, &value);
        }
    }
    if out.contains("{n}") {
        out = out.replace("{n}", &(1 + rng.below(52)).to_string());
    }
    out
}

fn en_subject(rng: &mut SplitMix64, date: i64) -> String {
    let template = rng.pick(EN_SUBJECTS);
    fill_placeholders(rng, template, date)
}

fn zh_subject(rng: &mut SplitMix64, date: i64) -> String {
    let template = rng.pick(ZH_SUBJECTS);
    fill_placeholders(rng, template, date)
}

fn newsletter_subject(rng: &mut SplitMix64, source: &NewsletterSource, date: i64) -> String {
    let issue = (date / (7 * 86_400)) % 500 + 1;
    let headline = rng.pick(source.headlines);
    match source.lang {
        Lang::En => format!("{} #{issue}: {headline}", source.name),
        Lang::Zh => format!("{} 第{issue}期：{headline}", source.name),
    }
}

const EN_SENTENCES: &[&str] = &[
    "Please find the latest numbers below; the totals now match what finance reported.",
    "I went through the draft and left a few comments inline, mostly about wording.",
    "Can we push the review to Thursday afternoon? Wednesday is fully booked on my side.",
    "The customer confirmed they can start the pilot in the second week of next month.",
    "We are still waiting on legal to sign off on the revised terms.",
    "Action items: update the rollout checklist, confirm the vendor quote, and book the room.",
    "Thanks for pulling this together so quickly, it helped a lot in today's meeting.",
    "The migration went smoothly overnight and all services are back to normal.",
    "Let me know if you need anything else from my side before the deadline.",
    "I have added the open questions to the shared document so we can go through them together.",
    "Sales in the APAC region came in slightly ahead of forecast this quarter.",
    "We need a decision on the pricing tiers by Friday so marketing can prepare the launch.",
    "The new build fixes the sync issue we saw last week, but search is still slow on large folders.",
    "Could you double-check the attendee list before I send the invitation?",
    "Finance asked for receipts for all expenses above 500 USD.",
    "I will be out of office next Monday and Tuesday; please contact my team in the meantime.",
    "Feedback on the agenda is welcome, especially on the afternoon sessions.",
    "The auditors will be on site from the 14th, so please keep your calendars flexible.",
    "Our support queue has doubled since the last release, mostly password reset requests.",
    "Good news: the contract was signed this morning.",
    "I suggest we keep the scope as it is and revisit the nice-to-haves after launch.",
    "The slides from the board meeting are in the usual folder.",
];

/// Accented Latin and typographic punctuation, so quoted-printable has work to do.
const EN_SENTENCES_ACCENTED: &[&str] = &[
    "The café next to the Berlin office now takes bookings for team lunches (about €15 per person).",
    "Hannah Müller will run the session on naïve forecasting — slides to follow.",
    "Prices are quoted in € and £; see the “Pricing” tab for the details.",
    "José and Zoë from the Lisbon partner confirmed the déjà-vu bug is fixed.",
    "Straße names in German addresses must survive the round trip through the CRM export, including ß and umlauts like ä, ö and ü.",
];

const EN_GREETINGS: &[&str] = &["Hi {name},", "Hello {name},", "Dear {name},", "{name},"];
const EN_GROUP_GREETINGS: &[&str] = &["Hi all,", "Hello team,", "Hi everyone,"];
const EN_CLOSINGS: &[&str] = &[
    "Thanks,",
    "Best regards,",
    "Cheers,",
    "Kind regards,",
    "Best,",
];

const ZH_SENTENCES: &[&str] = &[
    "附件是本周的项目进度，请大家查收。",
    "上次会议提到的几个问题，目前已经解决了大部分。",
    "请在周五下班前把季度报告的初稿发给我。",
    "客户对新版本的反馈总体比较积极，但对同步速度还有一些意见。",
    "下周二上午十点在三楼会议室开评审会，请准时参加。",
    "预算方面需要财务部再确认一下，我已经抄送了郭经理。",
    "如有任何问题，欢迎随时与我联系。",
    "测试环境已经部署完毕，可以开始回归测试了。",
    "这个需求的优先级比较高，希望能在本月底之前上线。",
    "根据上周的讨论，我整理了一份会议纪要，详见下文。",
    "合同的最新版本已经发给法务审核，预计三个工作日内回复。",
    "关于出差报销的流程，请参考人事部发布的最新通知。",
    "服务器迁移计划在周六凌晨进行，届时邮件服务可能会短暂中断。",
    "感谢大家这段时间的辛苦付出，项目终于按期交付了。",
    "新同事下周一入职，请各位多多关照。",
    "华东区的销售额比去年同期增长了百分之十二。",
    "我们需要在季度末之前完成供应商的年度评估。",
    "请各部门负责人于本周四之前提交明年的人员编制计划。",
    "界面设计稿已经更新到共享文件夹，欢迎提出修改意见。",
    "客户希望我们提供一份详细的实施方案和报价单。",
    "安全团队发现了一个中等风险的漏洞，正在安排修复。",
    "年会的节目报名截止到本月二十号。",
    "数据备份策略需要调整，请运维同事评估一下可行性。",
    "这周的周报我晚点补上，抱歉。",
];

/// Traditional forms and rare given names: representable in GBK, not in GB2312.
const GBK_ONLY_SENTENCES: &[&str] = &[
    "謝謝您的回覆，我們會盡快處理。",
    "附件是本季度的銷售報表，請查收。",
    "下週的會議改到星期三下午兩點。",
    "王喆下周一正式入职，请提前准备好电脑和门禁卡。",
    "刘堃负责的模块已经通过验收。",
    "陈赟会在月底前提交培训总结。",
];

const ZH_GREETINGS: &[&str] = &["{name}，你好：", "{name}：", "{name}，您好！"];
const ZH_GROUP_GREETINGS: &[&str] = &["各位好：", "大家好，", "各位同事："];
const ZH_CLOSINGS: &[&str] = &["谢谢！", "祝好，", "此致\r\n敬礼", "辛苦了，谢谢。"];

/// The readable content of a message, rendered to text or HTML as the kind needs.
struct Content {
    greeting: String,
    paragraphs: Vec<String>,
    closing: String,
    signature: Vec<String>,
}

fn greeting_name(contact: &Contact, lang: Lang) -> String {
    match lang {
        Lang::Zh if contact.has_chinese_name() => contact.name.clone(),
        _ => contact.greeting.clone(),
    }
}

fn content(opts: &SeedOptions, plan: &Plan) -> Content {
    let mut rng = SplitMix64::new(opts.seed, plan.index, STREAM_BODY);
    let group = plan.to.len() > 1 && rng.chance(500);
    let first = plan.to.first().map(|c| greeting_name(c, plan.lang));
    let (greetings, group_greetings, closings) = match plan.lang {
        Lang::En => (EN_GREETINGS, EN_GROUP_GREETINGS, EN_CLOSINGS),
        Lang::Zh => (ZH_GREETINGS, ZH_GROUP_GREETINGS, ZH_CLOSINGS),
    };
    let greeting = match first {
        Some(name) if !group && !name.is_empty() => rng.pick(greetings).replace("{name}", &name),
        _ => rng.pick(group_greetings).to_owned(),
    };

    let paragraph_count = 1 + rng.below(3);
    let mut used: Vec<&str> = Vec::with_capacity(9);
    let mut paragraphs = Vec::with_capacity(paragraph_count);
    for p in 0..paragraph_count {
        let sentences = 1 + rng.below(3);
        let mut paragraph = String::new();
        for s in 0..sentences {
            let pool = match (plan.kind, plan.lang) {
                (MessageKind::ChineseGbk, _) if p == 0 && s == 0 => GBK_ONLY_SENTENCES,
                (MessageKind::ChineseGbk, _) if rng.chance(300) => GBK_ONLY_SENTENCES,
                (MessageKind::QuotedPrintable, _) if s == 0 => EN_SENTENCES_ACCENTED,
                (_, Lang::Zh) => ZH_SENTENCES,
                (_, Lang::En) => EN_SENTENCES,
            };
            // Nobody writes the same sentence twice in one mail.
            let mut sentence = rng.pick(pool);
            for _ in 0..8 {
                if !used.contains(&sentence) {
                    break;
                }
                sentence = rng.pick(pool);
            }
            used.push(sentence);
            if !paragraph.is_empty() && plan.lang == Lang::En {
                paragraph.push(' ');
            }
            paragraph.push_str(sentence);
        }
        paragraphs.push(paragraph);
    }
    if plan.kind == MessageKind::QuotedPrintable {
        // One very long line, as Outlook sends, so soft line breaks are needed.
        let long: Vec<&str> = (0..4).map(|_| rng.pick(EN_SENTENCES)).collect();
        paragraphs.push(long.join(" "));
    }

    let closing = rng.pick(closings).to_owned();
    let from = &plan.from;
    let mut signature = vec![from.name.clone()];
    match plan.lang {
        Lang::En if !from.title.is_empty() => {
            signature.push(format!("{} | {}", from.title, from.org));
        }
        Lang::En => {}
        Lang::Zh => signature.push(from.org_zh.clone()),
    }
    Content {
        greeting,
        paragraphs,
        closing,
        signature,
    }
}

fn format_attribution(parent: &Plan, lang: Lang) -> String {
    let local = parent.date + i64::from(parent.from.tz_minutes) * 60;
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    let secs = local.rem_euclid(86_400);
    let (hh, mm) = (secs / 3600, secs % 3600 / 60);
    match lang {
        Lang::En => format!(
            "On {} {d} {} {y} at {hh:02}:{mm:02}, {} <{}> wrote:",
            WEEKDAYS[weekday(local.div_euclid(86_400))],
            &MONTHS[((m - 1) as usize) % 12][..3],
            parent.from.name,
            parent.from.addr
        ),
        Lang::Zh => format!(
            "在 {y}年{m}月{d}日 {hh:02}:{mm:02}，{} <{}> 写道：",
            parent.from.name, parent.from.addr
        ),
    }
}

/// Plain text of a message (CRLF lines), with the parent's own text quoted below.
fn plain_text(opts: &SeedOptions, plan: &Plan, content: &Content, wrap: bool) -> String {
    let mut text = own_text(content, wrap);
    if let Some(parent) = &plan.parent {
        let parent_content = self::content(opts, parent);
        let quoted = own_text(&parent_content, true);
        text.push_str("\r\n");
        text.push_str(&format_attribution(parent, plan.lang));
        text.push_str("\r\n");
        for line in quoted.split("\r\n").filter(|l| !l.is_empty()) {
            text.push_str("> ");
            text.push_str(line);
            text.push_str("\r\n");
        }
    }
    text
}

fn own_text(content: &Content, wrap: bool) -> String {
    let mut text = String::new();
    text.push_str(&content.greeting);
    text.push_str("\r\n\r\n");
    for paragraph in &content.paragraphs {
        if wrap {
            push_wrapped(&mut text, paragraph, 72);
        } else {
            text.push_str(paragraph);
            text.push_str("\r\n");
        }
        text.push_str("\r\n");
    }
    text.push_str(&content.closing);
    text.push_str("\r\n");
    for line in &content.signature {
        text.push_str(line);
        text.push_str("\r\n");
    }
    text
}

/// Wraps at spaces; text without spaces (Chinese) is wrapped by character count.
fn push_wrapped(out: &mut String, paragraph: &str, width: usize) {
    if !paragraph.contains(' ') {
        // CJK characters are two columns wide, and a line must not start with
        // closing punctuation (the kinsoku rule every CJK mailer follows).
        let mut count = 0;
        let mut chars = paragraph.chars().peekable();
        while let Some(c) = chars.next() {
            out.push(c);
            count += 1;
            if count >= width / 2
                && chars
                    .peek()
                    .is_some_and(|&next| !"，。、：；！？）》”".contains(next))
            {
                out.push_str("\r\n");
                count = 0;
            }
        }
        out.push_str("\r\n");
        return;
    }
    let mut line_len = 0;
    for word in paragraph.split(' ') {
        let len = word.chars().count();
        if line_len > 0 && line_len + 1 + len > width {
            out.push_str("\r\n");
            line_len = 0;
        }
        if line_len > 0 {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += len;
    }
    out.push_str("\r\n");
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

fn html_body(content: &Content, image_cid: Option<&str>) -> String {
    let mut html = String::from(
        "<html>\r\n<head>\r\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\r\n</head>\r\n<body style=\"font-family: Calibri, Arial, sans-serif; font-size: 11pt;\">\r\n",
    );
    html.push_str(&format!("<p>{}</p>\r\n", html_escape(&content.greeting)));
    for paragraph in &content.paragraphs {
        html.push_str(&format!("<p>{}</p>\r\n", html_escape(paragraph)));
    }
    if let Some(cid) = image_cid {
        html.push_str(&format!(
            "<p><img src=\"cid:{cid}\" alt=\"photo\" width=\"96\" height=\"96\"></p>\r\n"
        ));
    }
    html.push_str(&format!(
        "<p>{}<br>\r\n",
        html_escape(&content.closing).replace("\r\n", "<br>\r\n")
    ));
    let signature: Vec<String> = content.signature.iter().map(|l| html_escape(l)).collect();
    html.push_str(&format!(
        "<span style=\"color: #555555;\">{}</span></p>\r\n",
        signature.join("<br>\r\n")
    ));
    html.push_str("</body>\r\n</html>\r\n");
    html
}

// ---------------------------------------------------------------------------------
// MIME

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cte {
    SevenBit,
    EightBit,
    QuotedPrintable,
    Base64,
}

impl Cte {
    fn name(self) -> &'static str {
        match self {
            Cte::SevenBit => "7bit",
            Cte::EightBit => "8bit",
            Cte::QuotedPrintable => "quoted-printable",
            Cte::Base64 => "base64",
        }
    }
}

enum Part {
    Leaf {
        content_type: String,
        disposition: Option<String>,
        content_id: Option<String>,
        cte: Cte,
        data: Vec<u8>,
    },
    Multi {
        content_type: String,
        boundary: String,
        parts: Vec<Part>,
    },
}

fn leaf(content_type: impl Into<String>, cte: Cte, data: Vec<u8>) -> Part {
    Part::Leaf {
        content_type: content_type.into(),
        disposition: None,
        content_id: None,
        cte,
        data,
    }
}

fn multi(subtype: &str, boundary: String, parts: Vec<Part>) -> Part {
    Part::Multi {
        content_type: format!("multipart/{subtype}"),
        boundary,
        parts,
    }
}

fn write_part(buf: &mut Vec<u8>, part: &Part) {
    match part {
        Part::Leaf {
            content_type,
            disposition,
            content_id,
            cte,
            data,
        } => {
            push_header(buf, "Content-Type", content_type.as_bytes());
            push_header(buf, "Content-Transfer-Encoding", cte.name().as_bytes());
            if let Some(id) = content_id {
                push_header(buf, "Content-ID", format!("<{id}>").as_bytes());
            }
            if let Some(disposition) = disposition {
                push_header(buf, "Content-Disposition", disposition.as_bytes());
            }
            buf.extend_from_slice(b"\r\n");
            match cte {
                Cte::SevenBit | Cte::EightBit => {
                    buf.extend_from_slice(data);
                    if !data.ends_with(b"\r\n") {
                        buf.extend_from_slice(b"\r\n");
                    }
                }
                Cte::QuotedPrintable => push_quoted_printable(buf, data),
                Cte::Base64 => push_base64_lines(buf, data),
            }
        }
        Part::Multi {
            content_type,
            boundary,
            parts,
        } => {
            push_header(
                buf,
                "Content-Type",
                format!("{content_type}; boundary=\"{boundary}\"").as_bytes(),
            );
            buf.extend_from_slice(b"\r\nThis is a multi-part message in MIME format.\r\n");
            for part in parts {
                buf.extend_from_slice(b"\r\n--");
                buf.extend_from_slice(boundary.as_bytes());
                buf.extend_from_slice(b"\r\n");
                write_part(buf, part);
            }
            buf.extend_from_slice(b"\r\n--");
            buf.extend_from_slice(boundary.as_bytes());
            buf.extend_from_slice(b"--\r\n");
        }
    }
}

fn push_base64_lines(buf: &mut Vec<u8>, data: &[u8]) {
    let encoded = BASE64.encode(data);
    for line in encoded.as_bytes().chunks(76) {
        buf.extend_from_slice(line);
        buf.extend_from_slice(b"\r\n");
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// RFC 2045 quoted-printable of CRLF-separated text, lines at most 76 characters.
fn push_quoted_printable(buf: &mut Vec<u8>, data: &[u8]) {
    let data = data.strip_suffix(b"\r\n").unwrap_or(data);
    for line in data.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut col = 0;
        for (i, &b) in line.iter().enumerate() {
            let last = i + 1 == line.len();
            let literal =
                ((b == b' ' || b == b'\t') && !last) || ((33..=126).contains(&b) && b != b'=');
            let width = if literal { 1 } else { 3 };
            if col + width > 75 {
                buf.extend_from_slice(b"=\r\n");
                col = 0;
            }
            if literal {
                buf.push(b);
            } else {
                buf.extend_from_slice(&[b'=', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
            }
            col += width;
        }
        buf.extend_from_slice(b"\r\n");
    }
}

/// Writes `Name: value` folded at spaces to keep lines within 78 characters.
fn push_header(buf: &mut Vec<u8>, name: &str, value: &[u8]) {
    buf.extend_from_slice(name.as_bytes());
    buf.extend_from_slice(b":");
    let mut line_len = name.len() + 1;
    for (i, word) in value.split(|&b| b == b' ').enumerate() {
        if i > 0 && line_len + 1 + word.len() > 78 && !word.is_empty() {
            buf.extend_from_slice(b"\r\n");
            line_len = 0;
        }
        buf.push(b' ');
        buf.extend_from_slice(word);
        line_len += 1 + word.len();
    }
    buf.extend_from_slice(b"\r\n");
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HeaderCharset {
    Utf8,
    Gb2312,
    Gbk,
}

impl HeaderCharset {
    fn label(self) -> &'static str {
        match self {
            HeaderCharset::Utf8 => "UTF-8",
            HeaderCharset::Gb2312 => "GB2312",
            HeaderCharset::Gbk => "GBK",
        }
    }

    fn encoding(self) -> &'static Encoding {
        match self {
            HeaderCharset::Utf8 => UTF_8,
            // encoding_rs implements GB2312 as its superset GBK; callers check that
            // text meant to be GB2312 stays inside GB2312 (`fits_gb2312`).
            HeaderCharset::Gb2312 | HeaderCharset::Gbk => GBK,
        }
    }

    /// This charset if it can carry `text`, else the next wider one.
    fn for_text(self, text: &str) -> HeaderCharset {
        match self {
            HeaderCharset::Gb2312 if fits_gb2312(text) => HeaderCharset::Gb2312,
            HeaderCharset::Gb2312 | HeaderCharset::Gbk if fits_gbk(text) => HeaderCharset::Gbk,
            _ => HeaderCharset::Utf8,
        }
    }
}

fn fits_gbk(text: &str) -> bool {
    !GBK.encode(text).2
}

/// Whether `text` encodes in GBK using only GB2312's code points (both bytes of every
/// double-byte character in 0xA1..=0xFE).
fn fits_gb2312(text: &str) -> bool {
    let (bytes, _, had_errors) = GBK.encode(text);
    if had_errors {
        return false;
    }
    let mut iter = bytes.iter();
    while let Some(&b) = iter.next() {
        if b < 0x80 {
            continue;
        }
        let Some(&trail) = iter.next() else {
            return false;
        };
        if !(0xA1..=0xF7).contains(&b) || !(0xA1..=0xFE).contains(&trail) {
            return false;
        }
    }
    true
}

/// A header value as RFC 2047 UTF-8 encoded words when it is not ASCII (for tests
/// that write their own messages).
pub fn encode_header(text: &str) -> String {
    if text.is_ascii() {
        text.to_owned()
    } else {
        encoded_words(text, HeaderCharset::Utf8, false)
    }
}

/// Longest encoded word we emit, so `Subject: ` plus one word fits in 76 columns.
const MAX_ENCODED_WORD: usize = 66;

/// RFC 2047 encoded words for `text` (space-separated, each at most 66 characters),
/// splitting only between characters.
fn encoded_words(text: &str, charset: HeaderCharset, q: bool) -> String {
    let charset = charset.for_text(text);
    let encoding = charset.encoding();
    let label = charset.label();
    let room = MAX_ENCODED_WORD - label.len() - 7;
    let mut words: Vec<String> = Vec::new();
    let mut chunk: Vec<u8> = Vec::new();
    let encoded_len = |bytes: &[u8]| {
        if q {
            bytes
                .iter()
                .map(|&b| {
                    if b.is_ascii_alphanumeric() || b == b' ' {
                        1
                    } else {
                        3
                    }
                })
                .sum()
        } else {
            bytes.len().div_ceil(3) * 4
        }
    };
    let mut utf8 = [0u8; 4];
    for c in text.chars() {
        let (bytes, _, _) = encoding.encode(c.encode_utf8(&mut utf8));
        let mut candidate = chunk.clone();
        candidate.extend_from_slice(&bytes);
        if !chunk.is_empty() && encoded_len(&candidate) > room {
            words.push(encode_word(&chunk, label, q));
            chunk = bytes.into_owned();
        } else {
            chunk = candidate;
        }
    }
    if !chunk.is_empty() || words.is_empty() {
        words.push(encode_word(&chunk, label, q));
    }
    words.join(" ")
}

fn encode_word(bytes: &[u8], label: &str, q: bool) -> String {
    if q {
        let mut text = String::with_capacity(bytes.len() * 3);
        for &b in bytes {
            match b {
                b' ' => text.push('_'),
                _ if b.is_ascii_alphanumeric() => text.push(char::from(b)),
                _ => {
                    text.push('=');
                    text.push(char::from(HEX[usize::from(b >> 4)]));
                    text.push(char::from(HEX[usize::from(b & 15)]));
                }
            }
        }
        format!("=?{label}?Q?{text}?=")
    } else {
        format!("=?{label}?B?{}?=", BASE64.encode(bytes))
    }
}

/// A header text value: as is when ASCII, else RFC 2047 words.
fn header_text(text: &str, charset: HeaderCharset, q: bool) -> String {
    if text.is_ascii() {
        text.to_owned()
    } else {
        encoded_words(text, charset, q)
    }
}

/// `Name <addr>` with the name as atoms, a quoted string, or encoded words.
fn mailbox(contact: &Contact, charset: HeaderCharset, q: bool) -> String {
    let name = &contact.name;
    if name.is_empty() {
        return format!("<{}>", contact.addr);
    }
    let display = if !name.is_ascii() {
        encoded_words(name, charset, q)
    } else if name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " !#$%&'*+-/=?^_`{|}~".contains(c))
    {
        name.clone()
    } else {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    };
    format!("{display} <{}>", contact.addr)
}

fn mailbox_list(contacts: &[Contact], charset: HeaderCharset, q: bool) -> String {
    contacts
        .iter()
        .map(|c| mailbox(c, charset, q))
        .collect::<Vec<_>>()
        .join(", ")
}

/// RFC 2231 `filename*=UTF-8''...` value.
fn rfc2231(text: &str) -> String {
    let mut out = String::from("UTF-8''");
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

fn attachment(content_type: &str, filename: &str, cte: Cte, data: Vec<u8>) -> Part {
    let (type_param, disposition) = if filename.is_ascii() {
        (
            format!("{content_type}; name=\"{filename}\""),
            format!("attachment; filename=\"{filename}\""),
        )
    } else {
        // Outlook-style encoded word in name= for old readers, RFC 2231 for new ones.
        (
            format!(
                "{content_type}; name=\"{}\"",
                encoded_words(filename, HeaderCharset::Utf8, false)
            ),
            format!("attachment; filename*={}", rfc2231(filename)),
        )
    };
    Part::Leaf {
        content_type: type_param,
        disposition: Some(disposition),
        content_id: None,
        cte,
        data,
    }
}

// ---------------------------------------------------------------------------------
// Assembling a message

struct Meta {
    folder: Option<usize>,
    date: i64,
    flags: MessageFlags,
    subject: String,
    kind: MessageKind,
    parent: Option<usize>,
}

fn message_id(opts: &SeedOptions, index: usize) -> String {
    format!("<seed-{}-{}@example.test>", opts.seed, index)
}

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn weekday(days: i64) -> usize {
    (days + 4).rem_euclid(7) as usize
}

/// RFC 5322 date in the given zone, e.g. `Tue, 5 Mar 2024 09:12:33 +0800`.
pub fn rfc5322_date(unix: i64, tz_minutes: i32) -> String {
    let local = unix + i64::from(tz_minutes) * 60;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let sign = if tz_minutes < 0 { '-' } else { '+' };
    let tz = tz_minutes.unsigned_abs();
    format!(
        "{}, {d} {} {y} {:02}:{:02}:{:02} {sign}{:02}{:02}",
        WEEKDAYS[weekday(days)],
        &MONTHS[((m - 1) as usize) % 12][..3],
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        tz / 60,
        tz % 60
    )
}

const MAILERS: &[(&str, &str)] = &[
    ("X-Mailer", "Microsoft Outlook 16.0"),
    ("User-Agent", "Mozilla Thunderbird"),
    ("X-Mailer", "Apple Mail (2.3774.600.62)"),
    ("X-Mailer", "Foxmail 7.2.25.228[cn]"),
    ("X-Mailer", "Coremail Webmail Server Version XT5.0.14"),
];

fn build_message(opts: &SeedOptions, index: usize, buf: &mut Vec<u8>) -> Meta {
    let plan = plan(opts, index);
    let mut rng = SplitMix64::new(opts.seed, index, STREAM_ATTACHMENT);
    let id = message_id(opts, index);
    let owner = &opts.owner.1;
    let charset = plan.charset;
    let q = plan.q_encoding;

    // Trace headers, as delivery through Postfix and Dovecot LDA would leave them.
    if plan.role != FolderRole::Sent {
        let bounce = match plan.newsletter {
            Some(_) => format!("bounce-{index}@mailer.{}", plan.from.domain()),
            None => plan.from.addr.clone(),
        };
        push_header(buf, "Return-Path", format!("<{bounce}>").as_bytes());
        let received = format!(
            "from mail.{domain} (mail.{domain} [192.0.2.{octet}])\r\n\tby mx.example.test (Postfix) with ESMTPS id {queue:010X}\r\n\tfor <{owner}>; {date}",
            domain = plan.from.domain(),
            octet = 1 + rng.below(250),
            queue = rng.next_u64() & 0xFF_FFFF_FFFF,
            date = rfc5322_date(plan.date + 2 + rng.below(20) as i64, 0),
        );
        buf.extend_from_slice(b"Received: ");
        buf.extend_from_slice(received.as_bytes());
        buf.extend_from_slice(b"\r\n");
    }

    push_header(buf, "Message-ID", id.as_bytes());
    if plan.kind == MessageKind::MalformedDuplicateMessageId {
        push_header(buf, "Message-ID", id.as_bytes());
    }
    if plan.kind != MessageKind::MalformedMissingDate {
        push_header(
            buf,
            "Date",
            rfc5322_date(plan.date, plan.from.tz_minutes).as_bytes(),
        );
    }
    push_header(buf, "From", mailbox(&plan.from, charset, q).as_bytes());
    if plan.kind == MessageKind::MalformedFolding {
        // A continuation line without leading whitespace: the second address looks
        // like a header line with no colon.
        let addresses: Vec<String> = plan.to.iter().map(|c| format!("<{}>", c.addr)).collect();
        buf.extend_from_slice(b"To: ");
        buf.extend_from_slice(addresses.join(",\r\n").as_bytes());
        buf.extend_from_slice(b"\r\n");
    } else {
        push_header(buf, "To", mailbox_list(&plan.to, charset, q).as_bytes());
    }
    if !plan.cc.is_empty() {
        push_header(buf, "Cc", mailbox_list(&plan.cc, charset, q).as_bytes());
    }
    match plan.kind {
        MessageKind::MalformedRawSubject => {
            // Raw bytes in the header: UTF-8 mostly, GBK sometimes, as old clients did.
            let bytes = if rng.chance(700) || !fits_gbk(&plan.subject) {
                plan.subject.as_bytes().to_vec()
            } else {
                GBK.encode(&plan.subject).0.into_owned()
            };
            push_header(buf, "Subject", &bytes);
        }
        MessageKind::MalformedEncodedWord => {
            let broken = broken_encoded_word(&mut rng, &plan.subject);
            push_header(buf, "Subject", broken.as_bytes());
        }
        _ => push_header(
            buf,
            "Subject",
            header_text(&plan.subject, charset, q).as_bytes(),
        ),
    }
    if let Some(parent) = &plan.parent {
        push_header(
            buf,
            "In-Reply-To",
            message_id(opts, parent.index).as_bytes(),
        );
        let mut ancestors = Vec::new();
        let mut current = Some(parent.as_ref());
        while let Some(p) = current {
            ancestors.push(p.index);
            current = p.parent.as_deref();
        }
        ancestors.reverse();
        // Like most clients: keep the root and the most recent ancestors.
        if ancestors.len() > 10 {
            let tail = ancestors.split_off(ancestors.len() - 9);
            ancestors.truncate(1);
            ancestors.extend(tail);
        }
        let references: Vec<String> = ancestors.iter().map(|&i| message_id(opts, i)).collect();
        push_header(buf, "References", references.join(" ").as_bytes());
    }
    if let Some(source) = plan.newsletter {
        let domain = plan.from.domain();
        let token = rng.next_u64() & 0xFFFF_FFFF_FFFF;
        push_header(
            buf,
            "List-Id",
            format!("{} <{}>", ascii_list_name(source), source.list_id).as_bytes(),
        );
        push_header(
            buf,
            "List-Unsubscribe",
            format!("<mailto:unsubscribe+{token:x}@{domain}>, <https://{domain}/unsubscribe?u={token:x}>")
                .as_bytes(),
        );
        push_header(buf, "List-Unsubscribe-Post", b"List-Unsubscribe=One-Click");
        push_header(buf, "Precedence", b"bulk");
    }
    let (mailer_header, mailer) = match plan.lang {
        Lang::Zh => MAILERS[3 + rng.below(2)],
        Lang::En => MAILERS[rng.below(3)],
    };
    push_header(buf, mailer_header, mailer.as_bytes());
    push_header(buf, "MIME-Version", b"1.0");

    let body = body_part(opts, &plan, &mut rng);
    write_part(buf, &body);

    Meta {
        folder: plan.folder,
        date: plan.date,
        flags: plan.flags,
        subject: plan.subject,
        kind: plan.kind,
        parent: plan.parent.as_ref().map(|p| p.index),
    }
}

fn ascii_list_name(source: &NewsletterSource) -> String {
    if source.name.is_ascii() {
        format!("\"{}\"", source.name)
    } else {
        encoded_words(source.name, HeaderCharset::Utf8, false)
    }
}

fn broken_encoded_word(rng: &mut SplitMix64, subject: &str) -> String {
    let full = encoded_words(subject, HeaderCharset::Utf8, false);
    match rng.below(4) {
        // Truncated mid-word: no closing `?=`.
        0 => {
            let cut = full.len().saturating_sub(5).max(12);
            full.get(..cut).unwrap_or(&full).to_owned()
        }
        // Characters outside the base64 alphabet.
        1 => full.replacen("?B?", "?B?!!", 1),
        // A Q word with a bad hex escape.
        2 => {
            let q = encoded_words(subject, HeaderCharset::Gb2312, true);
            format!("{}=G1?=", q.strip_suffix("?=").unwrap_or(&q))
        }
        // A charset nobody knows.
        _ => full.replace("=?UTF-8?", "=?X-HERON-UNKNOWN?"),
    }
}

fn boundary(opts: &SeedOptions, index: usize, n: u32) -> String {
    format!("----=_Part_{:x}_{index}.{n}", opts.seed)
}

fn text_part(text: &str, charset: &str, cte: Cte) -> Part {
    leaf(
        format!("text/plain; charset={charset}"),
        cte,
        text.as_bytes().to_vec(),
    )
}

fn html_part(html: &str, rng: &mut SplitMix64) -> Part {
    let cte = if rng.chance(750) {
        Cte::QuotedPrintable
    } else {
        Cte::Base64
    };
    leaf("text/html; charset=utf-8", cte, html.as_bytes().to_vec())
}

fn ascii_or_utf8(text: &str, rng: &mut SplitMix64) -> Part {
    if text.is_ascii() {
        text_part(text, "us-ascii", Cte::SevenBit)
    } else if rng.chance(500) {
        text_part(text, "utf-8", Cte::QuotedPrintable)
    } else {
        text_part(text, "utf-8", Cte::EightBit)
    }
}

fn body_part(opts: &SeedOptions, plan: &Plan, rng: &mut SplitMix64) -> Part {
    let content = content(opts, plan);
    let index = plan.index;
    match plan.kind {
        MessageKind::PlainText
        | MessageKind::MalformedFolding
        | MessageKind::MalformedMissingDate
        | MessageKind::MalformedDuplicateMessageId => {
            ascii_or_utf8(&plain_text(opts, plan, &content, true), rng)
        }
        MessageKind::MalformedRawSubject | MessageKind::MalformedEncodedWord => text_part(
            &plain_text(opts, plan, &content, false),
            "utf-8",
            Cte::EightBit,
        ),
        MessageKind::QuotedPrintable => text_part(
            &plain_text(opts, plan, &content, false),
            "utf-8",
            Cte::QuotedPrintable,
        ),
        MessageKind::Html => html_part(&html_body(&content, None), rng),
        MessageKind::Alternative => multi(
            "alternative",
            boundary(opts, index, 1),
            vec![
                ascii_or_utf8(&plain_text(opts, plan, &content, true), rng),
                html_part(&html_body(&content, None), rng),
            ],
        ),
        MessageKind::SmallAttachment => {
            let mut parts = vec![ascii_or_utf8(&plain_text(opts, plan, &content, true), rng)];
            for _ in 0..1 + rng.below(2) {
                parts.push(small_attachment(plan, rng));
            }
            multi("mixed", boundary(opts, index, 1), parts)
        }
        MessageKind::LargeAttachment => multi(
            "mixed",
            boundary(opts, index, 1),
            vec![
                ascii_or_utf8(&plain_text(opts, plan, &content, true), rng),
                large_attachment(rng),
            ],
        ),
        MessageKind::InlineImage => {
            let cid = format!("image{index}.{:x}@example.test", opts.seed);
            let photos: Vec<&[u8]> = directory_data::bundled_photos().collect();
            let photo = photos
                .get(index % photos.len().max(1))
                .copied()
                .unwrap_or_default();
            let image = Part::Leaf {
                content_type: "image/jpeg; name=\"photo.jpg\"".to_owned(),
                disposition: Some("inline; filename=\"photo.jpg\"".to_owned()),
                content_id: Some(cid.clone()),
                cte: Cte::Base64,
                data: photo.to_vec(),
            };
            let related = multi(
                "related",
                boundary(opts, index, 2),
                vec![html_part(&html_body(&content, Some(&cid)), rng), image],
            );
            if rng.chance(500) {
                // Apple Mail and Outlook nest the related part inside an alternative.
                multi(
                    "alternative",
                    boundary(opts, index, 1),
                    vec![
                        ascii_or_utf8(&plain_text(opts, plan, &content, true), rng),
                        related,
                    ],
                )
            } else {
                related
            }
        }
        MessageKind::ChineseUtf8 => {
            let text = plain_text(opts, plan, &content, false);
            let cte = match rng.below(10) {
                0..=4 => Cte::Base64,
                5..=7 => Cte::EightBit,
                _ => Cte::QuotedPrintable,
            };
            let plain = text_part(&text, "UTF-8", cte);
            if rng.chance(300) {
                multi(
                    "alternative",
                    boundary(opts, index, 1),
                    vec![plain, html_part(&html_body(&content, None), rng)],
                )
            } else {
                plain
            }
        }
        MessageKind::ChineseGb2312 | MessageKind::ChineseGbk => {
            let gb2312 = plan.kind == MessageKind::ChineseGb2312;
            let with_quote = plain_text(opts, plan, &content, false);
            let fits = |t: &str| if gb2312 { fits_gb2312(t) } else { fits_gbk(t) };
            // A quoted parent may hold characters the charset lacks; drop the quote
            // rather than mislabel the body.
            let text = if fits(&with_quote) {
                with_quote
            } else {
                own_text(&content, false)
            };
            let text = if fits(&text) {
                text
            } else {
                // Only reachable with a non-Chinese owner name outside GBK.
                text.chars().filter(|c| fits(&c.to_string())).collect()
            };
            let (bytes, _, _) = GBK.encode(&text);
            let cte = match rng.below(10) {
                0..=5 => Cte::Base64,
                6..=8 => Cte::EightBit,
                _ => Cte::QuotedPrintable,
            };
            leaf(
                format!(
                    "text/plain; charset={}",
                    if gb2312 { "GB2312" } else { "GBK" }
                ),
                cte,
                bytes.into_owned(),
            )
        }
        MessageKind::Newsletter => {
            let source = plan.newsletter.unwrap_or(&NEWSLETTERS[0]);
            let (text, html) = newsletter_bodies(source, plan, rng);
            multi(
                "alternative",
                boundary(opts, index, 1),
                vec![
                    text_part(&text, "utf-8", Cte::QuotedPrintable),
                    leaf(
                        "text/html; charset=utf-8",
                        Cte::QuotedPrintable,
                        html.into_bytes(),
                    ),
                ],
            )
        }
    }
}

fn newsletter_bodies(
    source: &NewsletterSource,
    plan: &Plan,
    rng: &mut SplitMix64,
) -> (String, String) {
    let domain = plan.from.domain();
    let mut text = String::new();
    let mut html = String::from(
        "<html>\r\n<body style=\"margin:0;background:#f4f4f4;\">\r\n<table width=\"600\" align=\"center\" cellpadding=\"16\" style=\"background:#ffffff;font-family:Helvetica,Arial,sans-serif;\">\r\n",
    );
    html.push_str(&format!(
        "<tr><td><h1 style=\"font-size:22px;\">{}</h1></td></tr>\r\n",
        html_escape(source.name)
    ));
    text.push_str(source.name);
    text.push_str("\r\n\r\n");
    for n in 0..3 {
        let headline = rng.pick(source.headlines);
        let blurb = match source.lang {
            Lang::En => rng.pick(EN_SENTENCES),
            Lang::Zh => rng.pick(ZH_SENTENCES),
        };
        let url = format!("https://{domain}/articles/{}-{n}", plan.index);
        text.push_str(&format!("* {headline}\r\n  {blurb}\r\n  {url}\r\n\r\n"));
        html.push_str(&format!(
            "<tr><td><h2 style=\"font-size:17px;\"><a href=\"{url}\">{}</a></h2>\r\n<p>{}</p></td></tr>\r\n",
            html_escape(headline),
            html_escape(blurb)
        ));
    }
    let footer = match source.lang {
        Lang::En => "You are receiving this because you subscribed. Unsubscribe:",
        Lang::Zh => "您收到此邮件是因为您订阅了本刊。退订：",
    };
    let unsubscribe = format!("https://{domain}/unsubscribe");
    text.push_str(&format!("--\r\n{footer} {unsubscribe}\r\n"));
    html.push_str(&format!(
        "<tr><td style=\"font-size:11px;color:#888888;\">{} <a href=\"{unsubscribe}\">{unsubscribe}</a></td></tr>\r\n</table>\r\n</body>\r\n</html>\r\n",
        html_escape(footer)
    ));
    (text, html)
}

fn small_attachment(plan: &Plan, rng: &mut SplitMix64) -> Part {
    match rng.below(4) {
        0 => {
            let mut csv = String::from("date,region,customer,units,revenue_usd\r\n");
            let (y, m, _) = civil_from_days(plan.date.div_euclid(86_400));
            let customers = [
                "Northwind Traders",
                "Globex",
                "华通物流",
                "Sakura Trading",
                "联合银行",
            ];
            for row in 0..4 + rng.below(16) {
                csv.push_str(&format!(
                    "{y}-{m:02}-{:02},{},{},{},{}.{:02}\r\n",
                    1 + row % 28,
                    rng.pick(&["APAC", "EMEA", "NA"]),
                    customers[rng.below(customers.len())],
                    1 + rng.below(500),
                    100 + rng.below(90_000),
                    rng.below(100)
                ));
            }
            attachment(
                "text/csv; charset=utf-8",
                &format!("sales-{y}-{m:02}.csv"),
                Cte::Base64,
                csv.into_bytes(),
            )
        }
        1 => {
            let notes = "Meeting notes\r\n\r\n1. Review last week's action items\r\n2. Release status\r\n3. Customer escalations\r\n4. Any other business\r\n";
            attachment(
                "text/plain; charset=us-ascii",
                "meeting-notes.txt",
                Cte::SevenBit,
                notes.as_bytes().to_vec(),
            )
        }
        2 => {
            let notes =
                "会议纪要\r\n\r\n一、上周工作回顾\r\n二、本周重点任务\r\n三、需要协调的问题\r\n";
            attachment(
                "text/plain; charset=utf-8",
                "会议纪要.txt",
                Cte::Base64,
                notes.as_bytes().to_vec(),
            )
        }
        _ => {
            let start = plan.date + 2 * 86_400;
            let stamp = |t: i64| {
                let (y, m, d) = civil_from_days(t.div_euclid(86_400));
                let s = t.rem_euclid(86_400);
                format!("{y:04}{m:02}{d:02}T{:02}{:02}00Z", s / 3600, s % 3600 / 60)
            };
            let summary = if plan.root_subject.is_ascii() {
                plan.root_subject.clone()
            } else {
                "Meeting".to_owned()
            };
            let ics = format!(
                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example Corp//Heron Seed//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:event-{}@example.test\r\nDTSTAMP:{}\r\nDTSTART:{}\r\nDTEND:{}\r\nSUMMARY:{}\r\nORGANIZER:mailto:{}\r\nLOCATION:Room 3.14\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
                plan.index,
                stamp(plan.date),
                stamp(start),
                stamp(start + 3600),
                summary.replace([',', ';'], " "),
                plan.from.addr
            );
            attachment(
                "text/calendar; charset=utf-8; method=REQUEST",
                "invite.ics",
                Cte::SevenBit,
                ics.into_bytes(),
            )
        }
    }
}

/// Several megabytes that look like a PDF or a ZIP to anything sniffing the start.
fn large_attachment(rng: &mut SplitMix64) -> Part {
    let size = 1_500_000 + rng.below(4_500_000);
    let pdf = rng.chance(500);
    let mut data = Vec::with_capacity(size + 64);
    if pdf {
        data.extend_from_slice(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Length ");
        data.extend_from_slice(size.to_string().as_bytes());
        data.extend_from_slice(b" >>\nstream\n");
    } else {
        data.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00\x08\x00");
    }
    while data.len() < size {
        data.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    data.truncate(size);
    if pdf {
        data.extend_from_slice(b"\nendstream\nendobj\n%%EOF\n");
    }
    let (content_type, name) = match (pdf, rng.below(3)) {
        (true, 0) => ("application/pdf", "客户合同扫描件.pdf"),
        (true, _) => ("application/pdf", "Q3-board-pack.pdf"),
        (false, 0) => ("application/zip", "design-assets.zip"),
        (false, _) => ("application/zip", "logs-export.zip"),
    };
    attachment(content_type, name, Cte::Base64, data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn opts(messages: usize) -> SeedOptions {
        SeedOptions::new(messages, "Alice Martin", "alice@example.test")
    }

    fn headers(raw: &[u8]) -> &[u8] {
        let end = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("header/body separator");
        &raw[..end + 2]
    }

    /// Unfolded header values named `name` (case-insensitive).
    fn header_values(raw: &[u8], name: &str) -> Vec<String> {
        let text = String::from_utf8_lossy(headers(raw))
            .replace("\r\n ", " ")
            .replace("\r\n\t", " ");
        let prefix = format!("{}:", name.to_ascii_lowercase());
        text.split("\r\n")
            .filter(|line| line.to_ascii_lowercase().starts_with(&prefix))
            .map(|line| line[prefix.len()..].trim().to_owned())
            .collect()
    }

    fn decode_body(part: &[u8]) -> Vec<u8> {
        let (head, body) = part.split_at(
            part.windows(4)
                .position(|w| w == b"\r\n\r\n")
                .expect("separator")
                + 4,
        );
        let cte = header_values(head, "Content-Transfer-Encoding")
            .pop()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match cte.as_str() {
            "base64" => {
                let compact: Vec<u8> = body
                    .iter()
                    .copied()
                    .filter(|b| !b.is_ascii_whitespace())
                    .collect();
                BASE64.decode(compact).expect("valid base64")
            }
            "quoted-printable" => qp_decode(body),
            _ => body.to_vec(),
        }
    }

    fn qp_decode(body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < body.len() {
            match body[i] {
                b'=' if body[i + 1..].starts_with(b"\r\n") => i += 3,
                b'=' => {
                    let hex = std::str::from_utf8(&body[i + 1..i + 3]).expect("hex");
                    out.push(u8::from_str_radix(hex, 16).expect("hex"));
                    i += 3;
                }
                b => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        out
    }

    #[test]
    fn same_options_give_the_same_bytes() {
        let a = opts(300);
        for index in [0, 1, 33, 57, 150, 299] {
            assert_eq!(generate_message(&a, index), generate_message(&a, index));
        }
        let mut other = a.clone();
        other.seed += 1;
        assert_ne!(generate_message(&a, 5).raw, generate_message(&other, 5).raw);
    }

    #[test]
    fn every_line_ends_in_crlf_and_required_headers_exist() {
        let o = opts(1000);
        for index in 0..1000 {
            let m = generate_message(&o, index);
            for (i, &b) in m.raw.iter().enumerate() {
                if b == b'\n' {
                    assert!(
                        i > 0 && m.raw[i - 1] == b'\r',
                        "bare LF in message {index} at {i}"
                    );
                }
                if b == b'\r' {
                    assert_eq!(m.raw.get(i + 1), Some(&b'\n'), "bare CR in message {index}");
                }
            }
            assert!(m.raw.ends_with(b"\r\n"));
            assert!(
                m.raw.split(|&b| b == b'\n').all(|l| l.len() <= 999),
                "line over 998 octets in {index}"
            );
            let ids = header_values(&m.raw, "Message-ID");
            assert!(!ids.is_empty(), "message {index} has no Message-ID");
            assert!(ids.iter().all(|id| *id == m.message_id));
            assert_eq!(
                m.message_id,
                format!("<seed-{}-{index}@example.test>", o.seed)
            );
            assert_eq!(header_values(&m.raw, "Subject").len(), 1, "message {index}");
            assert!(!m.subject.is_empty());
            let has_date = !header_values(&m.raw, "Date").is_empty();
            assert_eq!(has_date, m.kind != MessageKind::MalformedMissingDate);
            assert!(m.date_unix <= o.now_unix && m.date_unix >= o.now_unix - FIVE_YEARS);
            // Outside the deliberately malformed header and 8-bit bodies, headers are ASCII.
            if m.kind != MessageKind::MalformedRawSubject {
                assert!(headers(&m.raw).is_ascii(), "non-ASCII header in {index}");
            }
        }
    }

    #[test]
    fn a_thousand_messages_contain_every_kind() {
        let mut o = opts(1000);
        o.large_attachment_every = 500;
        let kinds: BTreeSet<MessageKind> =
            (0..1000).map(|i| generate_message(&o, i).kind).collect();
        for kind in MessageKind::ALL {
            assert!(kinds.contains(&kind), "{kind:?} missing");
        }
        let malformed = (0..1000)
            .filter(|&i| generate_message(&o, i).kind.is_malformed())
            .count();
        assert!((10..=20).contains(&malformed), "{malformed}");
        let replies = (0..1000)
            .filter(|&i| generate_message(&o, i).parent_index.is_some())
            .count();
        assert!((150..=350).contains(&replies), "{replies}");
    }

    #[test]
    fn replies_refer_to_earlier_messages() {
        let o = opts(600);
        let mut checked = 0;
        for index in 0..600 {
            let m = generate_message(&o, index);
            let Some(parent) = m.parent_index else {
                continue;
            };
            assert!(parent < index);
            let p = generate_message(&o, parent);
            assert_eq!(
                header_values(&m.raw, "In-Reply-To"),
                vec![p.message_id.clone()]
            );
            let references = header_values(&m.raw, "References").join(" ");
            assert!(references.ends_with(&p.message_id), "{references}");
            assert!(m.subject.starts_with("Re: "));
            assert!(!m.subject.starts_with("Re: Re: "));
            assert!(m.date_unix >= p.date_unix);
            checked += 1;
        }
        assert!(checked > 50, "{checked}");
    }

    #[test]
    fn gb2312_and_gbk_bodies_decode_with_encoding_rs() {
        let o = opts(1000);
        let mut gb2312 = 0;
        let mut gbk = 0;
        for index in 0..1000 {
            let m = generate_message(&o, index);
            let wanted = match m.kind {
                MessageKind::ChineseGb2312 => "GB2312",
                MessageKind::ChineseGbk => "GBK",
                _ => continue,
            };
            let content_type = header_values(&m.raw, "Content-Type").join(" ");
            assert!(
                content_type.contains(&format!("charset={wanted}")),
                "{content_type}"
            );
            let bytes = decode_body(&m.raw);
            let encoding = Encoding::for_label(wanted.as_bytes()).expect("known label");
            let (text, had_errors) = encoding.decode_without_bom_handling(&bytes);
            assert!(!had_errors, "message {index} does not decode as {wanted}");
            assert!(text.chars().any(is_cjk));
            if m.kind == MessageKind::ChineseGb2312 {
                assert!(fits_gb2312(&text), "message {index} leaves GB2312");
                gb2312 += 1;
            } else {
                assert!(!fits_gb2312(&text), "GBK message {index} needs GBK");
                gbk += 1;
            }
        }
        assert!(gb2312 > 10 && gbk > 5, "{gb2312} {gbk}");
    }

    #[test]
    fn subjects_and_names_use_b_and_q_words_in_utf8_and_gb2312() {
        let o = opts(1000);
        let mut seen = BTreeSet::new();
        for index in 0..1000 {
            let m = generate_message(&o, index);
            for name in ["Subject", "From"] {
                for value in header_values(&m.raw, name) {
                    for prefix in [
                        "=?UTF-8?B?",
                        "=?UTF-8?Q?",
                        "=?GB2312?B?",
                        "=?GB2312?Q?",
                        "=?GBK?",
                    ] {
                        if value.contains(prefix) {
                            seen.insert((name, prefix));
                        }
                    }
                }
            }
        }
        for name in ["Subject", "From"] {
            for prefix in ["=?UTF-8?B?", "=?UTF-8?Q?", "=?GB2312?B?", "=?GB2312?Q?"] {
                assert!(seen.contains(&(name, prefix)), "{name} never uses {prefix}");
            }
        }
    }

    #[test]
    fn encoded_words_round_trip_and_stay_short() {
        let subject = "Re: 2024年第3季度报告：华东区销售数据分析与明年计划（草案）";
        for (charset, q) in [
            (HeaderCharset::Utf8, false),
            (HeaderCharset::Utf8, true),
            (HeaderCharset::Gb2312, false),
            (HeaderCharset::Gb2312, true),
        ] {
            let words = encoded_words(subject, charset, q);
            let mut decoded = String::new();
            for word in words.split(' ') {
                assert!(word.len() <= MAX_ENCODED_WORD, "{word}");
                let inner = word
                    .strip_prefix("=?")
                    .and_then(|w| w.strip_suffix("?="))
                    .expect("word");
                let mut fields = inner.splitn(3, '?');
                let label = fields.next().expect("charset");
                let mode = fields.next().expect("mode");
                let payload = fields.next().expect("payload");
                let bytes = if mode == "B" {
                    BASE64.decode(payload).expect("base64")
                } else {
                    qp_decode(payload.replace('_', " ").as_bytes())
                };
                let encoding = Encoding::for_label(label.as_bytes()).expect("label");
                decoded.push_str(&encoding.decode_without_bom_handling(&bytes).0);
            }
            assert_eq!(decoded, subject, "{charset:?} q={q}");
        }
    }

    #[test]
    fn quoted_printable_lines_are_short_and_decode() {
        let text = format!("{}\r\n= trailing space \r\nnaïve café\r\n", "x".repeat(200));
        let mut out = Vec::new();
        push_quoted_printable(&mut out, text.as_bytes());
        assert!(out.split(|&b| b == b'\n').all(|l| l.len() <= 77));
        let mut wrapped = b"Content-Transfer-Encoding: quoted-printable\r\n\r\n".to_vec();
        wrapped.extend_from_slice(&out);
        assert_eq!(decode_body(&wrapped), text.as_bytes());
    }

    #[test]
    fn large_attachments_only_at_the_chosen_interval() {
        let mut o = opts(40);
        o.large_attachment_every = 20;
        for index in 0..40 {
            let m = generate_message(&o, index);
            let large = m.kind == MessageKind::LargeAttachment;
            assert_eq!(large, index == 19 || index == 39, "{index}");
            if large {
                assert!(m.raw.len() > 1_500_000, "{}", m.raw.len());
                let lines: Vec<&[u8]> = m.raw.split(|&b| b == b'\n').collect();
                assert!(lines.iter().all(|l| l.len() <= 998));
                // base64 at 76 columns, plus the CR.
                assert!(lines.iter().filter(|l| l.len() == 77).count() > 19_000);
            } else {
                assert!(m.raw.len() < 200_000);
            }
        }
        o.large_attachment_every = 0;
        assert!((0..40).all(|i| generate_message(&o, i).kind != MessageKind::LargeAttachment));
    }

    #[test]
    fn chinese_wrapping_keeps_punctuation_off_line_starts() {
        let mut out = String::new();
        push_wrapped(
            &mut out,
            &"数据备份策略需要调整，请评估可行性。".repeat(6),
            72,
        );
        let lines: Vec<&str> = out.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert!(lines.len() > 2);
        for line in lines {
            assert!(line.chars().count() <= 37, "{line}");
            assert!(!line.starts_with(['，', '。']), "{line}");
        }
    }

    #[test]
    fn modified_utf7_matches_rfc_3501() {
        assert_eq!(modified_utf7("Sent"), "Sent");
        assert_eq!(modified_utf7("R&D"), "R&-D");
        assert_eq!(modified_utf7("台北"), "&U,BTFw-");
        assert_eq!(modified_utf7("日本語"), "&ZeVnLIqe-");
    }

    #[test]
    fn dates_render_like_rfc_5322() {
        assert_eq!(rfc5322_date(0, 0), "Thu, 1 Jan 1970 00:00:00 +0000");
        assert_eq!(
            rfc5322_date(1_709_600_000, 480),
            "Tue, 5 Mar 2024 08:53:20 +0800"
        );
        assert_eq!(
            rfc5322_date(1_709_600_000, -300),
            "Mon, 4 Mar 2024 19:53:20 -0500"
        );
    }

    #[test]
    fn seed_maildir_writes_dovecot_style_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("Maildir");
        let mut o = opts(400);
        o.large_attachment_every = 0;
        let report = seed_maildir(&root, &o).expect("seed");
        assert_eq!(report.total_messages, 400);

        let expected_dirs = [
            ("INBOX", root.clone()),
            ("Sent", root.join(".Sent")),
            ("Archive", root.join(".Archive")),
            ("Projects/Alpha", root.join(".Projects.Alpha")),
            ("Newsletters", root.join(".Newsletters")),
        ];
        let mut expected_counts = BTreeMap::new();
        let mut by_name = BTreeMap::new();
        for index in 0..400 {
            let m = generate_message(&o, index);
            *expected_counts.entry(m.folder.clone()).or_insert(0usize) += 1;
            by_name.insert(index + 1, m);
        }
        let mut total_bytes = 0;
        for (folder, dir) in &expected_dirs {
            for sub in ["cur", "new", "tmp"] {
                assert!(dir.join(sub).is_dir(), "{folder}/{sub}");
            }
            if *folder != "INBOX" {
                assert!(dir.join("maildirfolder").is_file());
            }
            let files: Vec<_> = fs::read_dir(dir.join("cur")).expect("cur").collect();
            assert_eq!(files.len(), expected_counts[*folder], "{folder}");
            assert_eq!(report.per_folder[*folder], files.len());
            for entry in files {
                let entry = entry.expect("entry");
                let name = entry.file_name().into_string().expect("utf-8 name");
                let (base, flags) = name.split_once(":2,").expect("info suffix");
                let (unique, sizes) = base.split_once(',').expect("size fields");
                let mut unique_parts = unique.split('.');
                let secs: i64 = unique_parts.next().expect("secs").parse().expect("number");
                let mpq = unique_parts.next().expect("M..P..Q..");
                assert_eq!(unique_parts.next(), Some("heron-seed"));
                assert!(mpq.starts_with('M') && mpq.contains('P'));
                let q: usize = mpq.rsplit_once('Q').expect("Q").1.parse().expect("number");
                let m = &by_name[&q];
                assert_eq!(m.folder, *folder);
                assert_eq!(secs, m.date_unix);
                assert_eq!(flags, m.flags.maildir_suffix());
                let mut chars: Vec<char> = flags.chars().collect();
                chars.sort_unstable();
                assert_eq!(chars.iter().collect::<String>(), flags);
                let content = fs::read(entry.path()).expect("read");
                assert_eq!(content, m.raw);
                assert_eq!(sizes, format!("S={0},W={0}", content.len()));
                let mtime = entry
                    .metadata()
                    .expect("metadata")
                    .modified()
                    .expect("mtime");
                assert_eq!(
                    mtime
                        .duration_since(SystemTime::UNIX_EPOCH)
                        .expect("after epoch")
                        .as_secs() as i64,
                    m.date_unix
                );
                total_bytes += content.len() as u64;
            }
        }
        assert_eq!(report.total_bytes, total_bytes);
        let subscriptions = fs::read_to_string(root.join("subscriptions")).expect("subscriptions");
        assert_eq!(
            subscriptions,
            "V\t2\n\nINBOX\nSent\nArchive\nProjects\tAlpha\nNewsletters\n"
        );
        // Flags vary: some unread, some flagged, some answered.
        let all: Vec<_> = by_name.values().map(|m| m.flags).collect();
        assert!(all.iter().any(|f| !f.seen) && all.iter().any(|f| f.flagged));
        assert!(all.iter().any(|f| f.answered));
    }

    #[test]
    fn bad_folder_names_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut o = opts(3);
        o.folders = vec![("Bad.Name".to_owned(), 1)];
        assert!(seed_maildir(dir.path(), &o).is_err());
        o.folders = vec![];
        assert!(seed_maildir(dir.path(), &o).is_err());
        assert_eq!(
            maildir_folder_dir(Path::new("/m"), "客户/华东").expect("dir"),
            Path::new("/m/.&W6JiNw-.&U05OHA-")
        );
    }
}
