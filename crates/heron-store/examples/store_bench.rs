//! Benchmark (not a test): index N synthetic messages (metadata + body text + FTS) and
//! run 20 representative searches; compare in the same run with `notmuch new` and
//! `notmuch search` over the same messages written as a Maildir.
//!
//! cargo run --release -p heron-store --example store_bench -- [N] [WORK_DIR]
//!
//! Prints a Markdown report. The corpus is generated from a fixed seed, so runs compare.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use heron_model::AccountId;
use heron_store::{
    Flags, FolderInfo, KeyFileStore, ListOrder, NewAttachment, NewMessage, OsRandom, SearchOrder,
    Store,
};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ren", "tas", "vor", "pel", "qui", "dor", "san", "tri", "mon", "bex", "ul",
    "fa", "gen", "hol", "jin", "nor", "pra", "sto", "wen", "yel", "zu",
];
const REAL_WORDS: &[&str] = &[
    "budget",
    "meeting",
    "review",
    "quarterly",
    "report",
    "invoice",
    "contract",
    "schedule",
    "deadline",
    "project",
    "release",
    "customer",
    "security",
    "travel",
    "approval",
    "minutes",
];
const CHINESE: &[&str] = &[
    "会议纪要",
    "项目进度",
    "预算审批",
    "合同",
    "客户",
    "发布",
    "安全",
    "差旅",
    "报告",
    "会议",
];

fn vocabulary(rng: &mut Rng) -> Vec<String> {
    let mut v: Vec<String> = REAL_WORDS.iter().map(|s| (*s).to_owned()).collect();
    while v.len() < 3000 {
        let n = 2 + rng.below(3);
        let w: String = (0..n)
            .map(|_| SYLLABLES[rng.below(SYLLABLES.len())])
            .collect();
        v.push(w);
    }
    v
}

/// Zipf-like pick: low indices (common words) far more often.
fn word<'a>(v: &'a [String], rng: &mut Rng) -> &'a str {
    let r = rng.below(v.len()) + 1;
    let idx = (v.len() * r / (r + rng.below(v.len()) * 8 + 1)).min(v.len() - 1);
    &v[idx]
}

struct Msg {
    subject: String,
    from_name: String,
    from_addr: String,
    to: String,
    body: String,
    date: i64,
    attachment: Option<String>,
    unread: bool,
}

fn corpus(n: usize) -> Vec<Msg> {
    let mut rng = Rng(0x5eed_1234_abcd);
    let vocab = vocabulary(&mut rng);
    let people: Vec<(String, String)> = (0..500)
        .map(|i| {
            let first = &vocab[20 + i % 400];
            let last = &vocab[500 + (i * 7) % 900];
            (
                format!("{first} {last}"),
                format!("{first}.{last}@example.com"),
            )
        })
        .collect();
    (0..n)
        .map(|i| {
            let mut subject: Vec<String> = (0..4 + rng.below(5))
                .map(|_| word(&vocab, &mut rng).to_owned())
                .collect();
            let mut body: Vec<String> = (0..60 + rng.below(120))
                .map(|_| word(&vocab, &mut rng).to_owned())
                .collect();
            if rng.below(10) == 0 {
                subject.push(CHINESE[rng.below(CHINESE.len())].to_owned());
                body.push(CHINESE[rng.below(CHINESE.len())].to_owned());
            }
            let (from_name, from_addr) = people[rng.below(people.len())].clone();
            let to = (0..1 + rng.below(3))
                .map(|_| {
                    let (n, a) = &people[rng.below(people.len())];
                    format!("{n} <{a}>")
                })
                .collect::<Vec<_>>()
                .join(", ");
            Msg {
                subject: subject.join(" "),
                from_name,
                from_addr,
                to,
                body: body.join(" "),
                date: 1_640_995_200 + (i as i64) * 900 + rng.below(600) as i64,
                attachment: (rng.below(8) == 0).then(|| format!("{}.pdf", word(&vocab, &mut rng))),
                unread: rng.below(5) == 0,
            }
        })
        .collect()
}

/// The 20 searches: (Heron query, notmuch query).
const QUERIES: &[(&str, &str)] = &[
    ("budget", "budget"),
    ("meeting minutes", "meeting minutes"),
    ("\"quarterly report\"", "\"quarterly report\""),
    ("invoice", "invoice"),
    ("contract approval", "contract approval"),
    ("deadline", "deadline"),
    ("from:kalo", "from:kalo*"),
    ("to:example.com budget", "to:example.com budget"),
    ("subject:review", "subject:review"),
    ("has:attachment report", "tag:attachment report"),
    ("is:unread security", "tag:unread security"),
    (
        "after:2023-01-01 before:2023-06-01 travel",
        "date:2023-01-01..2023-06-01 travel",
    ),
    ("会议纪要", "会议纪要"),
    ("会议", "会议"),
    ("项目进度", "项目进度"),
    ("release customer schedule", "release customer schedule"),
    ("security", "security"),
    ("project", "project"),
    ("\"customer release\"", "\"customer release\""),
    ("minutes", "minutes"),
];

/// What the notmuch half of the run measured.
struct NotmuchRun {
    index: Duration,
    size: u64,
    latencies: Vec<Duration>,
    counts: Vec<usize>,
    /// The median of each query's runs, in QUERIES order.
    per_query: Vec<Duration>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                Ok(_) => total += e.metadata().map(|m| m.len()).unwrap_or(0),
                Err(_) => {}
            }
        }
    }
    total
}

fn rfc2822_date(unix: i64) -> String {
    // Days to civil date (Hinnant), good enough for a Date header.
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{d} {} {y} {:02}:{:02}:{:02} +0000",
        MONTHS[(m - 1) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(100_000);
    let tmp = tempfile::tempdir()?;
    let work: PathBuf = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&work)?;
    let mut report = String::new();
    eprintln!("generating {n} messages");
    let msgs = corpus(n);

    // Heron.
    let data = work.join("heron-data");
    let keys: Arc<dyn heron_store::KeyStore> =
        Arc::new(KeyFileStore::new(&work.join("heron-keys")));
    let mut store = Store::open(&data, keys.clone(), &mut OsRandom)?;
    let account = AccountId::new("bench")?;
    let inbox = store.upsert_folder(
        &account,
        &FolderInfo {
            name: "INBOX".into(),
            uidvalidity: 1,
            ..FolderInfo::default()
        },
    )?;
    // HERON_BENCH_REUSE=1 with a WORK_DIR from an earlier run skips indexing, to
    // iterate on search alone; reported figures come from full runs.
    let reuse = std::env::var_os("HERON_BENCH_REUSE").is_some()
        && store.message_count(&account)? == n as u64;
    let start = Instant::now();
    for (chunk_no, chunk) in msgs.chunks(1000).enumerate().filter(|_| !reuse) {
        let batch: Vec<NewMessage> = chunk
            .iter()
            .enumerate()
            .map(|(i, m)| NewMessage {
                folder: Some(inbox),
                uidvalidity: 1,
                uid: (chunk_no * 1000 + i + 1) as u32,
                message_id: format!("<{}.{}@bench.example>", chunk_no, i),
                // Conversations of five: each message names the first of its group.
                thread_id: format!("<{}.{}@bench.example>", chunk_no, i - i % 5),
                subject: m.subject.clone(),
                from_name: m.from_name.clone(),
                from_addr: m.from_addr.clone(),
                to: m.to.clone(),
                date: m.date,
                received: m.date,
                size: m.body.len() as u64,
                flags: if m.unread {
                    Flags::default()
                } else {
                    Flags::SEEN
                },
                preview: m.body.chars().take(120).collect(),
                body_text: Some(m.body.clone()),
                attachments: m
                    .attachment
                    .iter()
                    .map(|a| NewAttachment {
                        name: a.clone(),
                        mime_type: "application/pdf".into(),
                        size: 1000,
                        blob: None,
                    })
                    .collect(),
                ..NewMessage::default()
            })
            .collect();
        store.insert_messages(&batch)?;
    }
    let heron_index = start.elapsed();
    // The message list by date and by conversation, at the top and deep in the folder.
    let mut lists = Vec::new();
    for (label, conversations, offset) in [
        ("list by date, first 100", false, 0),
        ("list by date, 100 at offset 50,000", false, 50_000),
        ("conversations, first 100", true, 0),
        ("conversations, 100 at offset 10,000", true, 10_000),
    ] {
        let mut times = Vec::new();
        for _ in 0..6 {
            let t = Instant::now();
            let rows = if conversations {
                store.folder_threads_window(inbox, offset, 100)?.1.len()
            } else {
                store
                    .folder_window(inbox, ListOrder::NewestFirst, offset, 100)?
                    .1
                    .len()
            };
            times.push(t.elapsed());
            assert!(rows > 0 || n < 50_000, "{label}: no rows");
        }
        times.remove(0); // the first warms the page cache
        times.sort();
        lists.push((label, percentile(&times, 0.5)));
    }
    drop(store);
    let heron_size = dir_size(&data);
    let mut heron_lat = Vec::new();
    let mut heron_newest_lat = Vec::new();
    let mut heron_counts = Vec::new();
    let mut per_query_ranked = Vec::new();
    for (order, lat) in [
        (SearchOrder::Relevance, &mut heron_lat),
        (SearchOrder::Newest, &mut heron_newest_lat),
    ] {
        // A fresh open per order, so the second does not profit from the first's cache.
        let store = Store::open(&data, keys.clone(), &mut OsRandom)?;
        for (q, _) in QUERIES {
            let mut count = 0;
            let mut mine = Vec::new();
            for rep in 0..5 {
                let t = Instant::now();
                let rows = store.search(q, order, 50, 0)?;
                let el = t.elapsed();
                if rep > 0 {
                    lat.push(el); // the first run warms the page cache
                    mine.push(el);
                }
                count = rows.len();
            }
            if order == SearchOrder::Relevance {
                heron_counts.push(count);
                mine.sort();
                per_query_ranked.push(percentile(&mine, 0.5));
            }
        }
        lat.sort();
    }

    // notmuch.
    let notmuch = std::env::var_os("HERON_BENCH_SKIP_NOTMUCH").is_none()
        && Command::new("notmuch").arg("--version").output().is_ok();
    let mut nm = None;
    if notmuch {
        let maildir = work.join("maildir");
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub))?;
        }
        eprintln!("writing maildir");
        for (i, m) in msgs.iter().enumerate() {
            let mut text = String::new();
            write!(
                text,
                "From: {} <{}>\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <{i}@bench.example>\r\nMIME-Version: 1.0\r\n",
                m.from_name,
                m.from_addr,
                m.to,
                m.subject,
                rfc2822_date(m.date)
            )?;
            match &m.attachment {
                None => write!(
                    text,
                    "Content-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
                    m.body
                )?,
                Some(a) => write!(
                    text,
                    "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"{a}\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n",
                    m.body
                )?,
            }
            let flags = if m.unread { "" } else { "S" };
            std::fs::write(
                maildir.join("cur").join(format!("{i}.bench:2,{flags}")),
                text,
            )?;
        }
        let config = work.join("notmuch-config");
        std::fs::write(
            &config,
            format!(
                "[database]\npath={}\n[new]\ntags=\n[maildir]\nsynchronize_flags=true\n",
                maildir.display()
            ),
        )?;
        let nmc = |args: &[&str]| {
            Command::new("notmuch")
                .env("NOTMUCH_CONFIG", &config)
                .args(args)
                .output()
        };
        let t = Instant::now();
        let out = nmc(&["new", "--quiet"])?;
        let nm_index = t.elapsed();
        if !out.status.success() {
            eprintln!(
                "notmuch new failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let mut lat = Vec::new();
        let mut counts = Vec::new();
        let mut per_query = Vec::new();
        for (_, q) in QUERIES {
            let mut count = 0;
            let mut mine = Vec::new();
            for rep in 0..5 {
                let t = Instant::now();
                let out = nmc(&[
                    "search",
                    "--output=messages",
                    "--limit=50",
                    "--sort=newest-first",
                    q,
                ])?;
                let el = t.elapsed();
                if rep > 0 {
                    lat.push(el);
                    mine.push(el);
                }
                count = out
                    .stdout
                    .split(|b| *b == b'\n')
                    .filter(|l| !l.is_empty())
                    .count();
            }
            counts.push(count);
            mine.sort();
            per_query.push(percentile(&mine, 0.5));
        }
        lat.sort();
        nm = Some(NotmuchRun {
            index: nm_index,
            size: dir_size(&maildir.join(".notmuch")),
            latencies: lat,
            counts,
            per_query,
        });
    }

    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    writeln!(
        report,
        "| | Heron (SQLCipher + FTS5 words, CJK pairs) | notmuch |"
    )?;
    writeln!(report, "|---|---|---|")?;
    let nm_or =
        |f: &dyn Fn(&NotmuchRun) -> String| nm.as_ref().map_or("not installed".to_owned(), f);
    writeln!(
        report,
        "| index {n} messages | {:.1} s ({:.0} msg/s) | {} |",
        heron_index.as_secs_f64(),
        rate(heron_index),
        nm_or(&|x| format!(
            "{:.1} s ({:.0} msg/s)",
            x.index.as_secs_f64(),
            rate(x.index)
        ))
    )?;
    writeln!(
        report,
        "| index size | {:.1} MiB (whole encrypted DB) | {} |",
        heron_size as f64 / 1048576.0,
        nm_or(&|x| format!("{:.1} MiB (.notmuch)", x.size as f64 / 1048576.0))
    )?;
    for (label, lat) in [
        ("newest first", &heron_newest_lat),
        ("ranked (bm25)", &heron_lat),
    ] {
        for p in [0.5, 0.95] {
            writeln!(
                report,
                "| search p{:.0}, Heron {label} | {:.2} ms | {} |",
                p * 100.0,
                percentile(lat, p).as_secs_f64() * 1e3,
                nm_or(&|x| format!("{:.2} ms", percentile(&x.latencies, p).as_secs_f64() * 1e3))
            )?;
        }
    }
    writeln!(
        report,
        "\n| query | Heron hits (first page, max 50) | Heron ranked, median | notmuch query | notmuch hits | notmuch, median |"
    )?;
    writeln!(report, "|---|---|---|---|---|---|")?;
    for (i, (hq, nq)) in QUERIES.iter().enumerate() {
        let nh = nm
            .as_ref()
            .map_or("-".to_owned(), |x| x.counts[i].to_string());
        let nt = nm.as_ref().map_or("-".to_owned(), |x| {
            format!("{:.2} ms", x.per_query[i].as_secs_f64() * 1e3)
        });
        writeln!(
            report,
            "| `{hq}` | {} | {:.2} ms | `{nq}` | {nh} | {nt} |",
            heron_counts[i],
            per_query_ranked[i].as_secs_f64() * 1e3
        )?;
    }
    writeln!(
        report,
        "\n| message list (median of 5, warm) | Heron |\n|---|---|"
    )?;
    for (label, t) in lists {
        writeln!(report, "| {label} | {:.2} ms |", t.as_secs_f64() * 1e3)?;
    }
    println!("{report}");
    Ok(())
}
