//! kill -9 during a write loop, 100 times: every committed row survives and the database
//! passes both integrity checks.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use heron_store::{KeyFileStore, MessageRowId, OsRandom, Store};

use crate::Seeded;

#[test]
fn kill_9_during_writes_loses_no_committed_row() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let keys = tmp.path().join("config");
    let mut rng = Seeded(0xC0FFEE);
    let mut committed: Vec<i64> = Vec::new();
    let started = Instant::now();
    let rounds = 100;
    for round in 0..rounds {
        let mut child = Command::new(env!("CARGO_BIN_EXE_heron-store-writer"))
            .arg(&data)
            .arg(&keys)
            .arg((round * 100_000 + 1).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill at a random point: from before the open to well into the write loop.
        std::thread::sleep(Duration::from_millis(rng.next_u64() % 80));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        // Only complete lines: a line is printed after its commit returned.
        let complete = out.rsplit_once('\n').map_or("", |(done, _)| done);
        committed.extend(complete.lines().map(|l| l.parse::<i64>().unwrap()));

        let store = Store::open(&data, Arc::new(KeyFileStore::new(&keys)), &mut OsRandom).unwrap();
        assert_eq!(
            store.integrity_problems().unwrap(),
            Vec::<String>::new(),
            "round {round}"
        );
        for id in &committed {
            assert!(
                store.message(MessageRowId(*id)).unwrap().is_some(),
                "row {id} lost in round {round}"
            );
        }
    }
    assert!(
        committed.len() > 100,
        "the writer committed only {} rows",
        committed.len()
    );
    println!(
        "crash test: {rounds} kills, {} committed rows checked, {:?}",
        committed.len(),
        started.elapsed()
    );
}
