//! Nothing Heron writes is readable without the key: a canary message is stored, indexed
//! and opened, then every file under the data dir is scanned for its bytes.

use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use heron_store::{Flags, NewAttachment, NewMessage, SearchOrder};

use crate::{MemKeyStore, Seeded, account, folder, open};

const CANARIES: &[&str] = &[
    "CanarySubjectXylophoneQuokka",
    "canary.sender@zqx-canary.example",
    "Zebulon Canarysender",
    "body-canary-ultraviolet-marmalade",
    "canary-attachment-wombat.pdf",
    "%PDF-canary-attachment-content-pelican",
    "机密会议纪要金丝雀",
];

/// Every byte pattern a canary could leak as: UTF-8, UTF-16LE/BE, and base64 of the
/// UTF-8 at the three byte alignments (only the characters that do not depend on the
/// neighbouring bytes).
fn patterns(canary: &str) -> Vec<(String, Vec<u8>)> {
    let utf8 = canary.as_bytes().to_vec();
    let le: Vec<u8> = canary.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = canary.encode_utf16().flat_map(u16::to_be_bytes).collect();
    let mut out = vec![
        ("utf-8".to_owned(), utf8.clone()),
        ("utf-16le".to_owned(), le),
        ("utf-16be".to_owned(), be),
    ];
    for k in 0..3usize {
        let mut padded = vec![0u8; k];
        padded.extend_from_slice(&utf8);
        let enc = base64::engine::general_purpose::STANDARD.encode(&padded);
        let first_group = k.div_ceil(3);
        let end_group = (k + utf8.len()) / 3;
        out.push((
            format!("base64+{k}"),
            enc.as_bytes()[first_group * 4..end_group * 4].to_vec(),
        ));
    }
    out
}

/// Returns (file, canary, encoding) for every hit under `dir`.
fn scan(dir: &Path) -> Vec<(String, String, String)> {
    let mut hits = Vec::new();
    let files = crate::snapshot(dir);
    assert!(!files.is_empty());
    for file in files.keys() {
        let bytes = std::fs::read(file).unwrap();
        for c in CANARIES {
            for (enc, pat) in patterns(c) {
                if bytes.windows(pat.len()).any(|w| w == pat.as_slice()) {
                    hits.push((file.clone(), (*c).to_owned(), enc));
                }
            }
        }
    }
    hits
}

#[test]
fn canary_bytes_appear_in_no_file() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let keys = Arc::new(MemKeyStore::default());
    let mut rng = Seeded(42);
    {
        let mut store = open(&data, &keys).unwrap();
        let inbox = folder(&mut store, "corp", "INBOX");
        let acc = account("corp");
        let blobs = store.blobs(&acc);
        let attachment = blobs.put(CANARIES[5].as_bytes(), &mut rng).unwrap();
        let raw = format!(
            "From: {} <{}>\r\nSubject: {}\r\n\r\n{} {}\r\n",
            CANARIES[2], CANARIES[1], CANARIES[0], CANARIES[3], CANARIES[6]
        );
        let raw_blob = blobs.put(raw.as_bytes(), &mut rng).unwrap();
        let id = store
            .insert_message(&NewMessage {
                subject: format!("{} {}", CANARIES[0], CANARIES[6]),
                from_name: CANARIES[2].into(),
                from_addr: CANARIES[1].into(),
                to: CANARIES[1].into(),
                preview: CANARIES[3].into(),
                body_text: Some(format!("{} {}", CANARIES[3], CANARIES[6])),
                attachments: vec![NewAttachment {
                    name: CANARIES[4].into(),
                    mime_type: "application/pdf".into(),
                    size: 40,
                    blob: Some(attachment.clone()),
                }],
                raw_blob: Some(raw_blob),
                flags: Flags::SEEN,
                ..crate::message(inbox, 1, "", 1_700_000_000)
            })
            .unwrap();
        store.set_setting("signature", CANARIES[3]).unwrap();
        store
            .save_draft(&acc, CANARIES[0], CANARIES[1], CANARIES[3])
            .unwrap();
        store
            .enqueue_operation(&acc, "flag", &format!("{{\"note\":\"{}\"}}", CANARIES[0]))
            .unwrap();
        assert_eq!(
            store
                .search(CANARIES[0], SearchOrder::Relevance, 10, 0)
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            store
                .search("金丝雀", SearchOrder::Relevance, 10, 0)
                .unwrap()
                .len(),
            1
        );

        // The user opens the attachment: plaintext in the private temp folder, removed on drop.
        let opened = store.open_attachments_folder(id, &mut rng).unwrap();
        let path = opened.extract(&blobs, &attachment, CANARIES[4]).unwrap();
        assert!(path.exists());
        drop(opened);
        assert!(!path.exists());

        // While open: the WAL and shm exist and must be encrypted too.
        let hits = scan(&data);
        assert!(hits.is_empty(), "canary found while open: {hits:?}");
    }
    let files = crate::snapshot(&data);
    assert!(files.keys().any(|f| f.ends_with("heron.db")));
    assert!(files.len() >= 3, "db and two blobs expected: {files:?}");
    let hits = scan(&data);
    assert!(hits.is_empty(), "canary found after close: {hits:?}");
    for f in files.keys() {
        let bytes = std::fs::read(f).unwrap();
        assert!(
            !bytes.windows(15).any(|w| w == b"SQLite format 3"),
            "{f} is a plain SQLite file"
        );
    }

    // The scanner can fail: a plaintext control file in each encoding is found.
    for (i, (enc, pat)) in patterns(CANARIES[0]).into_iter().enumerate() {
        let control = data.join(format!("control-{i}"));
        let mut bytes = b"xx".to_vec();
        bytes.extend_from_slice(&pat);
        std::fs::write(&control, bytes).unwrap();
        let hits = scan(&data);
        assert!(
            hits.iter()
                .any(|(f, _, e)| f.ends_with(&format!("control-{i}")) && *e == enc),
            "control file in {enc} not detected"
        );
        std::fs::remove_file(control).unwrap();
    }
    // Base64 of the whole raw canary, as a plaintext mail attachment would carry it.
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("Hello {}", CANARIES[5]));
    std::fs::write(data.join("control-b64"), b64).unwrap();
    assert!(!scan(&data).is_empty(), "base64 control not detected");
}
