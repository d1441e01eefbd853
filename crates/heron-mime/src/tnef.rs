//! A bounded reader for TNEF (`winmail.dat`, `application/ms-tnef`): only enough to list
//! the names of the files Outlook packed inside, so the user sees what they received.
//!
//! Layout (MS-OXTNEF): a 4-byte signature `0x223E9F78`, a 2-byte key, then attributes:
//! level (1 byte), id (4 bytes, type in the high word), length (4 bytes), data, 2-byte
//! checksum. `attAttachRendData` starts each attachment; `attAttachTitle` holds its name;
//! `attAttachment` holds MAPI properties, of which we read `PR_ATTACH_LONG_FILENAME`.
//! Every length is checked against what is left, and the attribute count is capped.

use encoding_rs::Encoding;

const SIGNATURE: u32 = 0x223E_9F78;
const ATT_ATTACH_REND_DATA: u32 = 0x0006_9002;
const ATT_ATTACH_TITLE: u32 = 0x0001_8010;
const ATT_ATTACHMENT: u32 = 0x0006_9005;
const ATT_OEM_CODEPAGE: u32 = 0x0006_9007;
const LEVEL_ATTACHMENT: u8 = 2;
const MAX_ATTRIBUTES: usize = 10_000;
const MAX_NAMES: usize = 1_000;

/// What could be read from a TNEF blob.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TnefListing {
    /// One name per attachment, in order (empty if the attachment had no name).
    pub names: Vec<String>,
    /// False if the blob is not TNEF or broke off; the names read so far are kept.
    pub complete: bool,
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Lists the attachment names in a TNEF blob. Never panics; stops at the first
/// inconsistency and reports `complete: false`.
pub(crate) fn list_attachments(data: &[u8]) -> TnefListing {
    let mut out = TnefListing::default();
    let mut r = Reader { data, pos: 0 };
    if r.u32() != Some(SIGNATURE) || r.u16().is_none() {
        return out;
    }
    let mut codepage: &'static Encoding = encoding_rs::WINDOWS_1252;
    let mut current: Option<usize> = None;
    for _ in 0..MAX_ATTRIBUTES {
        if r.pos == data.len() {
            out.complete = true;
            return out;
        }
        let (Some(level), Some(id), Some(len)) = (r.u8(), r.u32(), r.u32()) else {
            return out;
        };
        let Some(body) = r.take(len as usize) else {
            return out;
        };
        if r.u16().is_none() {
            return out;
        }
        match id {
            ATT_OEM_CODEPAGE if body.len() >= 4 => {
                codepage =
                    codepage_encoding(u32::from_le_bytes([body[0], body[1], body[2], body[3]]));
            }
            ATT_ATTACH_REND_DATA if level == LEVEL_ATTACHMENT => {
                if out.names.len() >= MAX_NAMES {
                    return out;
                }
                out.names.push(String::new());
                current = Some(out.names.len() - 1);
            }
            ATT_ATTACH_TITLE if level == LEVEL_ATTACHMENT => {
                if let Some(i) = current
                    && out.names[i].is_empty()
                {
                    let raw = body.split(|b| *b == 0).next().unwrap_or_default();
                    out.names[i] = codepage.decode(raw).0.into_owned();
                }
            }
            ATT_ATTACHMENT if level == LEVEL_ATTACHMENT => {
                if let (Some(i), Some(long)) = (current, long_filename(body)) {
                    out.names[i] = long;
                }
            }
            _ => {}
        }
    }
    out
}

/// The Windows code pages Outlook writes into `attOemCodepage`.
fn codepage_encoding(cp: u32) -> &'static Encoding {
    let label = match cp {
        936 => "gbk",
        950 => "big5",
        932 => "shift_jis",
        949 => "euc-kr",
        20866 => "koi8-r",
        1250..=1258 => {
            return Encoding::for_label(format!("windows-{cp}").as_bytes())
                .unwrap_or(encoding_rs::WINDOWS_1252);
        }
        _ => "windows-1252",
    };
    Encoding::for_label(label.as_bytes()).unwrap_or(encoding_rs::WINDOWS_1252)
}

/// Reads `PR_ATTACH_LONG_FILENAME` (0x3707, PT_STRING8 or PT_UNICODE) out of an
/// `attAttachment` MAPI property list; `None` if absent or malformed.
fn long_filename(body: &[u8]) -> Option<String> {
    let mut r = Reader { data: body, pos: 0 };
    let count = r.u32()?;
    for _ in 0..count.min(4096) {
        let ptype = r.u16()?;
        let pid = r.u16()?;
        if pid >= 0x8000 {
            // Named property: GUID, kind, then an id or a name; we never need these.
            r.take(16)?;
            match r.u32()? {
                0 => {
                    r.u32()?;
                }
                _ => {
                    let n = r.u32()? as usize;
                    r.take(n.checked_add(3)? & !3)?;
                }
            }
        }
        let multi = ptype & 0x1000 != 0;
        let base = ptype & !0x1000;
        let values = if multi { r.u32()? } else { 1 };
        for _ in 0..values.min(4096) {
            let value: Option<&[u8]> = match base {
                0x0002 | 0x000B => {
                    r.take(4)?;
                    None
                } // short, boolean: padded to 4
                0x0003 | 0x0004 | 0x000A => {
                    r.take(4)?;
                    None
                }
                0x0005 | 0x0006 | 0x0007 | 0x0014 | 0x0040 => {
                    r.take(8)?;
                    None
                }
                0x0048 => {
                    r.take(16)?;
                    None
                }
                0x001E | 0x001F | 0x0102 | 0x000D => {
                    let n = if multi {
                        r.u32()?
                    } else {
                        let c = r.u32()?;
                        if c == 0 { 0 } else { r.u32()? }
                    };
                    let padded = (n as usize).checked_add(3)? & !3;
                    let bytes = r.take(padded)?;
                    bytes.get(..n as usize)
                }
                _ => return None,
            };
            if pid == 0x3707
                && let Some(v) = value
            {
                return Some(match base {
                    0x001F => {
                        let (s, _, _) = encoding_rs::UTF_16LE.decode(v);
                        s.trim_end_matches('\0').to_owned()
                    }
                    _ => encoding_rs::WINDOWS_1252
                        .decode(v)
                        .0
                        .trim_end_matches('\0')
                        .to_owned(),
                });
            }
        }
    }
    None
}

/// Builds a small TNEF blob with the given attachment titles (tests and fixtures).
#[cfg(test)]
pub(crate) fn build_for_test(titles: &[&str]) -> Vec<u8> {
    fn attr(out: &mut Vec<u8>, level: u8, id: u32, data: &[u8]) {
        out.push(level);
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
        let sum: u32 = data.iter().map(|b| u32::from(*b)).sum();
        out.extend_from_slice(&((sum & 0xFFFF) as u16).to_le_bytes());
    }
    let mut out = Vec::new();
    out.extend_from_slice(&SIGNATURE.to_le_bytes());
    out.extend_from_slice(&0x0001u16.to_le_bytes());
    attr(&mut out, 1, 0x0008_9006, &[1, 0, 1, 0]); // attTnefVersion-ish: ignored
    for t in titles {
        attr(&mut out, 2, ATT_ATTACH_REND_DATA, &[0u8; 14]);
        let mut title = t.as_bytes().to_vec();
        title.push(0);
        attr(&mut out, 2, ATT_ATTACH_TITLE, &title);
        attr(&mut out, 2, 0x0006_800F, b"data"); // attAttachData
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_titles() {
        let blob = build_for_test(&["report.pdf", "setup.exe"]);
        assert_eq!(
            list_attachments(&blob),
            TnefListing {
                names: vec!["report.pdf".into(), "setup.exe".into()],
                complete: true
            }
        );
    }

    #[test]
    fn truncated_blob_is_incomplete_not_a_panic() {
        let blob = build_for_test(&["report.pdf"]);
        for cut in 0..blob.len() {
            // Cuts on an attribute boundary are complete, shorter files: only no panic
            // and no invented names matter.
            let l = list_attachments(&blob[..cut]);
            assert!(l.names.len() <= 1);
        }
    }

    #[test]
    fn garbage_is_not_tnef() {
        assert!(!list_attachments(b"hello world").complete);
        let mut huge = build_for_test(&[]);
        huge.extend_from_slice(&[2, 0x10, 0x80, 1, 0, 0xFF, 0xFF, 0xFF, 0xFF]);
        assert!(!list_attachments(&huge).complete);
    }

    #[test]
    fn long_filename_from_mapi_props() {
        let name = "长文件名.docx";
        let utf16: Vec<u8> = name
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .chain([0, 0])
            .collect();
        let mut props = Vec::new();
        props.extend_from_slice(&2u32.to_le_bytes());
        props.extend_from_slice(&0x0003u16.to_le_bytes()); // PT_LONG
        props.extend_from_slice(&0x0E21u16.to_le_bytes());
        props.extend_from_slice(&7u32.to_le_bytes());
        props.extend_from_slice(&0x001Fu16.to_le_bytes()); // PT_UNICODE
        props.extend_from_slice(&0x3707u16.to_le_bytes());
        props.extend_from_slice(&1u32.to_le_bytes());
        props.extend_from_slice(&(utf16.len() as u32).to_le_bytes());
        props.extend_from_slice(&utf16);
        while props.len() % 4 != 0 {
            props.push(0);
        }
        assert_eq!(long_filename(&props).as_deref(), Some(name));
    }
}
