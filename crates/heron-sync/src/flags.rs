//! IMAP system flags and the store's bitmask.

use heron_store::Flags;

const SYSTEM: [(Flags, &str); 5] = [
    (Flags::SEEN, "\\Seen"),
    (Flags::ANSWERED, "\\Answered"),
    (Flags::FLAGGED, "\\Flagged"),
    (Flags::DELETED, "\\Deleted"),
    (Flags::DRAFT, "\\Draft"),
];

/// The system flags among `flags` as a bitmask (keywords are not kept yet).
pub fn flags_from_imap(flags: &[String]) -> Flags {
    let mut out = Flags::default();
    for f in flags {
        if let Some((bit, _)) = SYSTEM.iter().find(|(_, name)| name.eq_ignore_ascii_case(f)) {
            out = out | *bit;
        }
    }
    out
}

/// The IMAP names of the flags set in `flags`.
pub fn imap_flags(flags: Flags) -> Vec<&'static str> {
    SYSTEM
        .iter()
        .filter(|(bit, _)| flags.contains(*bit))
        .map(|(_, name)| *name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_flags_round_trip_and_keywords_are_ignored() {
        let server = [
            "\\seen".to_owned(),
            "\\Flagged".to_owned(),
            "$Junk".to_owned(),
        ];
        let f = flags_from_imap(&server);
        assert_eq!(f, Flags::SEEN | Flags::FLAGGED);
        assert_eq!(imap_flags(f), ["\\Seen", "\\Flagged"]);
        assert_eq!(imap_flags(Flags::default()), Vec::<&str>::new());
    }
}
