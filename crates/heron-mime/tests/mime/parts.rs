//! `part_content`: the bytes behind an attachment the view model lists, found by its
//! part path, also inside nested messages.

use heron_mime::{ViewOptions, parse, part_content};

fn corpus(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(path).unwrap()
}

#[test]
fn every_listed_attachment_has_content_of_its_listed_size_and_type() {
    let opts = ViewOptions::default();
    let mut checked = 0;
    let dir = format!("{}/tests/corpus", env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "eml") {
            continue;
        }
        let raw = std::fs::read(&path).unwrap();
        let view = parse(&raw, &opts);
        for a in &view.attachments {
            let content = part_content(&raw, &a.part_path, &opts)
                .unwrap_or_else(|| panic!("{}: no part {}", path.display(), a.part_path));
            assert_eq!(
                content.bytes.len(),
                a.size,
                "{} {}",
                path.display(),
                a.part_path
            );
            assert_eq!(content.content_type, a.content_type, "{}", path.display());
            checked += 1;
        }
    }
    assert!(checked > 5, "only {checked} attachments were checked");
}

#[test]
fn parts_inside_nested_messages_are_found() {
    let raw = corpus("nested-three-levels.eml");
    let opts = ViewOptions::default();
    let view = parse(&raw, &opts);
    let inner = &view.nested_messages[0].view.nested_messages[0].view;
    let deepest = &inner.attachments[0];
    let content = part_content(&raw, &deepest.part_path, &opts).unwrap();
    assert_eq!(content.bytes.len(), deepest.size);
}

#[test]
fn unknown_or_empty_part_paths_find_nothing() {
    let raw = corpus("apple-mail-inline-image.eml");
    let opts = ViewOptions::default();
    assert_eq!(part_content(&raw, "", &opts), None);
    assert_eq!(part_content(&raw, "9.9", &opts), None);
    assert_eq!(part_content(&raw, "../../etc/passwd", &opts), None);
    let garbage = b"\x00\xff garbage";
    let found = part_content(garbage, "1", &opts);
    assert!(found.is_none_or(|c| c.bytes.len() <= garbage.len()));
}
