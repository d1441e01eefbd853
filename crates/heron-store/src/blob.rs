//! Encrypted blob files: raw messages and attachments.
//!
//! Format (version 1): `HRNB1\n` (6 bytes), a 19-byte random nonce prefix, then chunks.
//! Each chunk is up to 64 KiB of plaintext sealed with XChaCha20-Poly1305 under a key
//! derived from the master key (HKDF-SHA256, info [`INFO_BLOB_ENC`]). The 24-byte nonce is
//! `prefix (19) || chunk counter (u32 BE) || last-chunk flag (1)`, as in the STREAM
//! construction: reordered chunks fail (counter), truncation fails (the last chunk must
//! carry the flag), and appending fails (nothing may follow the last chunk). Full chunks
//! are never last, so the last chunk is always shorter than a full one (possibly empty).
//!
//! Names are `HMAC-SHA256(naming key, plaintext)` in hex, the naming key derived with its
//! own info string ([`INFO_BLOB_NAME`]): identical content dedups to one file, but a
//! name does not reveal the SHA-256 of a known file. The reader recomputes the name at
//! the end of the stream, so a file swapped under another name is detected too.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::{Result, StoreError};
use crate::fsutil;
use crate::key::{MasterKey, RandomSource, hex};

/// HKDF info for the blob encryption key.
pub const INFO_BLOB_ENC: &[u8] = b"heron blob encryption v1";
/// HKDF info for the blob naming (HMAC) key.
pub const INFO_BLOB_NAME: &[u8] = b"heron blob naming v1";

const MAGIC: &[u8; 6] = b"HRNB1\n";
const PREFIX_LEN: usize = 19;
/// Plaintext bytes per chunk.
pub const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;

/// The name of a stored blob (64 lower-case hex characters).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobName(String);

impl BlobName {
    /// Checks a name read back from the database or a directory listing.
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| Self(s.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BlobName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Keys derived from the master key for blobs.
#[derive(Clone)]
pub(crate) struct BlobKeys {
    enc: Zeroizing<[u8; 32]>,
    name: Zeroizing<[u8; 32]>,
}

impl BlobKeys {
    pub(crate) fn derive(master: &MasterKey) -> Result<Self> {
        let hk = Hkdf::<Sha256>::new(None, master.as_bytes());
        let mut enc = Zeroizing::new([0u8; 32]);
        let mut name = Zeroizing::new([0u8; 32]);
        hk.expand(INFO_BLOB_ENC, enc.as_mut())
            .and_then(|()| hk.expand(INFO_BLOB_NAME, name.as_mut()))
            .map_err(|e| StoreError::Unexpected(format!("key derivation failed: {e}")))?;
        Ok(Self { enc, name })
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.enc.as_ref().into())
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC accepts keys of any length, so this cannot fail for 32 bytes.
        <Hmac<Sha256> as Mac>::new_from_slice(self.name.as_ref())
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
    }
}

fn nonce(prefix: &[u8; PREFIX_LEN], counter: u32, last: bool) -> XNonce {
    let mut n = [0u8; 24];
    n[..PREFIX_LEN].copy_from_slice(prefix);
    n[PREFIX_LEN..PREFIX_LEN + 4].copy_from_slice(&counter.to_be_bytes());
    n[23] = u8::from(last);
    XNonce::from(n)
}

/// Writes and reads the encrypted blob files of one directory.
pub struct BlobStore {
    dir: PathBuf,
    keys: BlobKeys,
    /// Set once the directory is known to exist with private permissions, so a sync
    /// writing thousands of blobs does not repeat the mkdir and chmod for each.
    dir_ready: std::sync::OnceLock<()>,
}

impl std::fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobStore")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl BlobStore {
    pub(crate) fn new(dir: PathBuf, keys: BlobKeys) -> Self {
        Self {
            dir,
            keys,
            dir_ready: std::sync::OnceLock::new(),
        }
    }

    /// Opens the blob store in `dir` (created 0700 on first write) under keys derived
    /// from `master`.
    pub fn open(dir: impl Into<PathBuf>, master: &MasterKey) -> Result<Self> {
        Ok(Self::new(dir.into(), BlobKeys::derive(master)?))
    }

    /// The directory the files live in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the blob `name` is (or would be) stored.
    pub fn path_of(&self, name: &BlobName) -> PathBuf {
        self.dir.join(name.as_str())
    }

    /// Stores `data` and returns its name.
    pub fn put(&self, data: &[u8], rng: &mut dyn RandomSource) -> Result<BlobName> {
        self.put_reader(data, rng)
    }

    /// Stores a copy of something the server keeps (a downloaded message): atomic like
    /// [`BlobStore::put`], but without the two fsyncs, which would make a first sync of
    /// 100,000 messages take minutes longer. A power cut may lose such a file; reading
    /// it then fails with a clear error and sync downloads it again.
    ///
    /// The same content already stored (a message in two folders, a resync after a
    /// crash) is not written again: the name is the MAC of the content, so an existing
    /// file of the exact encrypted length holds it (a torn one fails authentication on
    /// read and has another length, so it is replaced).
    pub fn put_refetchable(&self, data: &[u8], rng: &mut dyn RandomSource) -> Result<BlobName> {
        let mut mac = self.keys.mac();
        mac.update(data);
        let name = BlobName(hex(&mac.finalize().into_bytes()));
        let encrypted_len =
            (MAGIC.len() + PREFIX_LEN + data.len() + TAG * (data.len() / CHUNK + 1)) as u64;
        match fs::metadata(self.path_of(&name)) {
            Ok(m) if m.len() == encrypted_len => Ok(name),
            _ => self.write(data, rng, false),
        }
    }

    /// Stores everything `reader` yields, encrypting chunk by chunk, and returns its name.
    ///
    /// Atomic: a temp file in the same directory, fsync, rename, fsync of the directory.
    /// A second writer of the same content replaces the file with an equivalent one, so
    /// there is always exactly one file per content.
    pub fn put_reader(&self, reader: impl Read, rng: &mut dyn RandomSource) -> Result<BlobName> {
        self.write(reader, rng, true)
    }

    fn write(
        &self,
        mut reader: impl Read,
        rng: &mut dyn RandomSource,
        durable: bool,
    ) -> Result<BlobName> {
        if self.dir_ready.get().is_none() {
            fsutil::create_private_dir(&self.dir)?;
            let _ = self.dir_ready.set(());
        }
        let mut prefix = [0u8; PREFIX_LEN];
        rng.fill(&mut prefix)?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(&self.dir)
            .map_err(|e| StoreError::io(&self.dir, e))?;
        let cipher = self.keys.cipher();
        let mut mac = self.keys.mac();
        let werr = |e: io::Error| StoreError::io(&self.dir, e);
        {
            let mut out = io::BufWriter::new(tmp.as_file_mut());
            out.write_all(MAGIC).map_err(werr)?;
            out.write_all(&prefix).map_err(werr)?;
            let mut buf = Zeroizing::new(vec![0u8; CHUNK]);
            let mut counter: u32 = 0;
            loop {
                let n = read_full(&mut reader, &mut buf).map_err(werr)?;
                let last = n < CHUNK;
                mac.update(&buf[..n]);
                let sealed = cipher
                    .encrypt(
                        &nonce(&prefix, counter, last),
                        Payload {
                            msg: &buf[..n],
                            aad: MAGIC,
                        },
                    )
                    .map_err(|_| StoreError::Unexpected("blob encryption failed".into()))?;
                out.write_all(&sealed).map_err(werr)?;
                if last {
                    break;
                }
                counter = counter.checked_add(1).ok_or(StoreError::BlobCorrupt {
                    name: String::new(),
                    reason: "too large",
                })?;
            }
            out.flush().map_err(werr)?;
        }
        if durable {
            tmp.as_file().sync_all().map_err(werr)?;
        }
        let name = BlobName(hex(&mac.finalize().into_bytes()));
        let path = self.path_of(&name);
        tmp.persist(&path)
            .map_err(|e| StoreError::io(&path, e.error))?;
        if durable {
            fsutil::sync_dir(&self.dir)?;
        }
        Ok(name)
    }

    /// Opens a blob for streaming reads. Each chunk is authenticated before any of its
    /// bytes are returned; the name is checked at the end of the stream.
    pub fn open_reader(&self, name: &BlobName) -> Result<BlobReader> {
        let path = self.path_of(name);
        let mut file =
            io::BufReader::new(fs::File::open(&path).map_err(|e| StoreError::io(&path, e))?);
        let mut header = [0u8; 6 + PREFIX_LEN];
        read_full(&mut file, &mut header)
            .map_err(|e| StoreError::io(&path, e))
            .and_then(|n| {
                if n == header.len() && &header[..6] == MAGIC {
                    Ok(())
                } else {
                    Err(corrupt(name, "bad header"))
                }
            })?;
        let mut prefix = [0u8; PREFIX_LEN];
        prefix.copy_from_slice(&header[6..]);
        Ok(BlobReader {
            name: name.clone(),
            file,
            cipher: self.keys.cipher(),
            mac: Some(self.keys.mac()),
            prefix,
            counter: 0,
            plain: Zeroizing::new(Vec::new()),
            pos: 0,
            done: false,
        })
    }

    /// Reads a whole blob into memory (zeroized on drop).
    pub fn get(&self, name: &BlobName) -> Result<Zeroizing<Vec<u8>>> {
        let mut r = self.open_reader(name)?;
        let mut out = Zeroizing::new(Vec::new());
        r.read_to_end(&mut out)
            .map_err(|e| from_read_error(name, &self.path_of(name), e))?;
        Ok(out)
    }

    /// Deletes a blob; a missing blob is not an error.
    pub fn delete(&self, name: &BlobName) -> Result<()> {
        let path = self.path_of(name);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::io(path, e)),
        }
    }
}

fn corrupt(name: &BlobName, reason: &'static str) -> StoreError {
    StoreError::BlobCorrupt {
        name: name.to_string(),
        reason,
    }
}

/// Turns the `io::Error` of a [`BlobReader`] back into the store error it carries.
pub fn from_read_error(name: &BlobName, path: &Path, e: io::Error) -> StoreError {
    if e.kind() == io::ErrorKind::InvalidData {
        let reason = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<CorruptReason>())
            .map_or("authentication failed", |r| r.0);
        corrupt(name, reason)
    } else {
        StoreError::io(path, e)
    }
}

#[derive(Debug)]
struct CorruptReason(&'static str);
impl std::fmt::Display for CorruptReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}
impl std::error::Error for CorruptReason {}

fn invalid(reason: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, CorruptReason(reason))
}

/// Reads until `buf` is full or the reader is exhausted; returns the bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A streaming, authenticating reader over one blob.
///
/// Errors are `io::ErrorKind::InvalidData` for tampering; [`from_read_error`] maps them
/// to [`StoreError::BlobCorrupt`]. A consumer must read to the end (EOF) to know the
/// whole blob was genuine.
pub struct BlobReader {
    name: BlobName,
    file: io::BufReader<fs::File>,
    cipher: XChaCha20Poly1305,
    mac: Option<Hmac<Sha256>>,
    prefix: [u8; PREFIX_LEN],
    counter: u32,
    plain: Zeroizing<Vec<u8>>,
    pos: usize,
    done: bool,
}

impl std::fmt::Debug for BlobReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobReader")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl BlobReader {
    fn next_chunk(&mut self) -> io::Result<()> {
        let mut sealed = vec![0u8; CHUNK + TAG];
        let n = read_full(&mut self.file, &mut sealed)?;
        let last = n < CHUNK + TAG;
        let plain = self
            .cipher
            .decrypt(
                &nonce(&self.prefix, self.counter, last),
                Payload {
                    msg: &sealed[..n],
                    aad: MAGIC,
                },
            )
            .map_err(|_| {
                invalid(if last {
                    "truncated or altered"
                } else {
                    "altered or reordered"
                })
            })?;
        if let Some(mac) = self.mac.as_mut() {
            mac.update(&plain);
        }
        self.plain = Zeroizing::new(plain);
        self.pos = 0;
        if last {
            let mut extra = [0u8; 1];
            if read_full(&mut self.file, &mut extra)? != 0 {
                return Err(invalid("data after the last chunk"));
            }
            let expected = self.mac.take().map(|m| hex(&m.finalize().into_bytes()));
            if expected.as_deref() != Some(self.name.as_str()) {
                return Err(invalid("content does not match its name"));
            }
            self.done = true;
        } else {
            self.counter = self
                .counter
                .checked_add(1)
                .ok_or_else(|| invalid("too many chunks"))?;
        }
        Ok(())
    }
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.plain.len() {
            if self.done {
                return Ok(0);
            }
            self.next_chunk()?;
        }
        let n = buf.len().min(self.plain.len() - self.pos);
        buf[..n].copy_from_slice(&self.plain[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// A private temp folder holding attachments the user opened from one message.
///
/// The files are plaintext by necessity (another app opens them), so the folder is 0700
/// and removed on drop, by [`OpenedAttachments::remove`], and at every start
/// ([`crate::Store::open`] empties the temp root).
#[derive(Debug)]
pub struct OpenedAttachments {
    dir: PathBuf,
    removed: bool,
}

impl OpenedAttachments {
    pub(crate) fn create(
        temp_root: &Path,
        message_id: i64,
        rng: &mut dyn RandomSource,
    ) -> Result<Self> {
        let mut r = [0u8; 8];
        rng.fill(&mut r)?;
        fsutil::create_private_dir(temp_root)?;
        let dir = temp_root.join(format!("msg-{message_id}-{}", hex(&r)));
        fsutil::create_private_dir(&dir)?;
        Ok(Self {
            dir,
            removed: false,
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Decrypts a blob into the folder as `file_name` (reduced to a safe base name) and
    /// returns the file's path, for handing to the OS "open with". The plaintext appears
    /// under its name only when it decrypted completely; a failure leaves no file.
    pub fn extract(&self, blobs: &BlobStore, blob: &BlobName, file_name: &str) -> Result<PathBuf> {
        let path = self.dir.join(safe_base_name(file_name));
        let mut reader = blobs.open_reader(blob)?;
        let mut partial =
            tempfile::NamedTempFile::new_in(&self.dir).map_err(|e| StoreError::io(&self.dir, e))?;
        io::copy(&mut reader, partial.as_file_mut())
            .map_err(|e| from_read_error(blob, &path, e))?;
        // On error `partial` is dropped, which deletes the half-written plaintext.
        partial
            .persist(&path)
            .map_err(|e| StoreError::io(&path, e.error))?;
        Ok(path)
    }

    /// Removes the folder now.
    pub fn remove(mut self) -> Result<()> {
        self.removed = true;
        remove_dir_if_exists(&self.dir)
    }
}

impl Drop for OpenedAttachments {
    fn drop(&mut self) {
        if !self.removed {
            // Best effort; what survives a crash is removed at the next start.
            let _ = remove_dir_if_exists(&self.dir);
        }
    }
}

/// A file name from mail reduced to one harmless path component on every OS: no
/// directory separators, no drive prefix or stream (`:`), no control or reserved
/// characters, not a Windows device name, not `.`/`..`, at most 200 bytes.
pub fn safe_base_name(file_name: &str) -> String {
    const RESERVED: &[&str] = &[
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
        "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    ];
    let last = file_name.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut safe: String = last
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, ':' | '<' | '>' | '"' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .collect();
    // Windows drops trailing dots and spaces, which would change the extension shown.
    while safe.ends_with(['.', ' ']) {
        safe.pop();
    }
    while safe.len() > 200 {
        safe.pop();
    }
    let stem = safe
        .split('.')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_uppercase();
    if safe.is_empty() || RESERVED.contains(&stem.as_str()) {
        format!(
            "attachment{}",
            if safe.is_empty() {
                String::new()
            } else {
                format!("-{safe}")
            }
        )
    } else {
        safe
    }
}

pub(crate) fn remove_dir_if_exists(dir: &Path) -> Result<()> {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::io(dir, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_names_become_one_harmless_component() {
        for (input, want) in [
            ("report.pdf", "report.pdf"),
            ("../../etc/passwd", "passwd"),
            ("..\\..\\evil.exe", "evil.exe"),
            ("C:evil.exe", "C_evil.exe"),
            ("notes.txt:hidden", "notes.txt_hidden"),
            ("CON", "attachment-CON"),
            ("nul.txt", "attachment-nul.txt"),
            ("trailing. . ", "trailing"),
            ("..", "attachment"),
            ("", "attachment"),
            ("a\u{0}b\nc", "a_b_c"),
            ("会议纪要.docx", "会议纪要.docx"),
        ] {
            let safe = safe_base_name(input);
            assert_eq!(safe, want, "{input:?}");
            assert_eq!(Path::new(&safe).components().count(), 1, "{input:?}");
        }
    }

    struct Counter(u8);
    impl RandomSource for Counter {
        fn fill(&mut self, buf: &mut [u8]) -> Result<()> {
            for b in buf {
                self.0 = self.0.wrapping_add(1);
                *b = self.0;
            }
            Ok(())
        }
    }

    fn store(dir: &Path) -> BlobStore {
        BlobStore::open(dir.join("b"), &MasterKey::from_bytes(&[7; 32]).unwrap()).unwrap()
    }

    fn data(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 31 % 251) as u8).collect()
    }

    #[test]
    fn round_trips_edge_sizes() {
        let d = tempfile::tempdir().unwrap();
        let s = store(d.path());
        let mut rng = Counter(0);
        for n in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 5_000_000] {
            let v = data(n);
            let name = s.put(&v, &mut rng).unwrap();
            assert_eq!(s.get(&name).unwrap().as_slice(), v.as_slice(), "size {n}");
        }
    }

    #[test]
    fn same_content_is_one_file_and_names_are_keyed() {
        let d = tempfile::tempdir().unwrap();
        let s = store(d.path());
        let mut rng = Counter(0);
        let a = s.put(b"hello", &mut rng).unwrap();
        let b = s.put(b"hello", &mut rng).unwrap();
        assert_eq!(a, b);
        assert_eq!(fs::read_dir(s.dir()).unwrap().count(), 1);
        let other = BlobStore::open(
            d.path().join("c"),
            &MasterKey::from_bytes(&[8; 32]).unwrap(),
        )
        .unwrap();
        assert_ne!(other.put(b"hello", &mut rng).unwrap(), a);
    }

    #[test]
    fn refetchable_copies_are_written_once_and_a_torn_one_is_replaced() {
        let d = tempfile::tempdir().unwrap();
        let s = store(d.path());
        let mut rng = Counter(0);
        for n in [0, 5, CHUNK, CHUNK + 3] {
            let v = data(n);
            let name = s.put_refetchable(&v, &mut rng).unwrap();
            let before = fs::read(s.path_of(&name)).unwrap();
            // Stored again: same name, the file untouched (same random prefix kept).
            assert_eq!(s.put_refetchable(&v, &mut rng).unwrap(), name);
            assert_eq!(fs::read(s.path_of(&name)).unwrap(), before, "size {n}");
            assert_eq!(s.get(&name).unwrap().as_slice(), v.as_slice());
            // A torn file (a power cut) is rewritten by the next download.
            fs::write(s.path_of(&name), &before[..before.len() / 2]).unwrap();
            assert_eq!(s.put_refetchable(&v, &mut rng).unwrap(), name);
            assert_eq!(s.get(&name).unwrap().as_slice(), v.as_slice(), "size {n}");
        }
    }

    fn expect_corrupt(s: &BlobStore, name: &BlobName) {
        match s.get(name) {
            Err(StoreError::BlobCorrupt { .. }) => {}
            other => panic!("expected BlobCorrupt, got {other:?}"),
        }
    }

    #[test]
    fn tampering_is_detected() {
        let d = tempfile::tempdir().unwrap();
        let s = store(d.path());
        let mut rng = Counter(0);
        let v = data(3 * CHUNK + 100);
        let name = s.put(&v, &mut rng).unwrap();
        let path = s.path_of(&name);
        let orig = fs::read(&path).unwrap();
        let hdr = 6 + PREFIX_LEN;

        let mut flipped = orig.clone();
        flipped[hdr + CHUNK + 5] ^= 1;
        fs::write(&path, &flipped).unwrap();
        expect_corrupt(&s, &name);

        // Truncated at a chunk boundary (the stream would otherwise look complete).
        fs::write(&path, &orig[..hdr + 2 * (CHUNK + TAG)]).unwrap();
        expect_corrupt(&s, &name);
        fs::write(&path, &orig[..orig.len() - 1]).unwrap();
        expect_corrupt(&s, &name);

        let mut swapped = orig.clone();
        let c = CHUNK + TAG;
        let (a, b) = (hdr, hdr + c);
        let first = orig[a..a + c].to_vec();
        swapped[a..a + c].copy_from_slice(&orig[b..b + c]);
        swapped[b..b + c].copy_from_slice(&first);
        fs::write(&path, &swapped).unwrap();
        expect_corrupt(&s, &name);

        let mut appended = orig.clone();
        appended.push(0);
        fs::write(&path, &appended).unwrap();
        expect_corrupt(&s, &name);

        // Another blob's file under this name.
        let other = s.put(b"other", &mut rng).unwrap();
        fs::copy(s.path_of(&other), &path).unwrap();
        expect_corrupt(&s, &name);

        fs::write(&path, &orig).unwrap();
        assert_eq!(s.get(&name).unwrap().as_slice(), v.as_slice());
    }

    #[test]
    fn opened_attachments_are_private_and_cleaned() {
        let d = tempfile::tempdir().unwrap();
        let s = store(d.path());
        let mut rng = Counter(0);
        let name = s.put(b"pdf bytes", &mut rng).unwrap();
        let root = d.path().join("tmp");
        let opened = OpenedAttachments::create(&root, 5, &mut rng).unwrap();
        let p = opened.extract(&s, &name, "../../etc/report.pdf").unwrap();
        assert_eq!(p.parent().unwrap(), opened.dir());
        assert_eq!(fs::read(&p).unwrap(), b"pdf bytes");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let m = fs::metadata(opened.dir()).unwrap().permissions().mode();
            assert_eq!(m & 0o777, 0o700);
        }
        let dir = opened.dir().to_path_buf();
        drop(opened);
        assert!(!dir.exists());
    }
}
