//! Push: IDLE on the inbox reports new mail from another client within seconds.

use std::time::{Duration, Instant};

use super::{Env, append};

fn inbox() -> Vec<String> {
    vec!["INBOX".to_owned()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_reports_new_mail_and_the_next_sync_fetches_it() {
    let mut env = Env::new("idle", 3);
    env.sync().await.unwrap();
    let connect = env.connect.clone();
    let waiter = tokio::spawn(async move {
        let started = Instant::now();
        let changed =
            heron_sync::push::wait_for_change(&connect, &inbox(), Duration::from_secs(30))
                .await
                .unwrap();
        (changed, started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut other = env.other_client().await;
    append(&mut other, "INBOX", "pushed@example.test", "Pushed").await;
    other.logout().await;
    let (changed, waited) = waiter.await.unwrap();
    assert!(changed, "IDLE must report the new message");
    assert!(waited < Duration::from_secs(10), "took {waited:?}");
    let report = env.sync().await.unwrap();
    assert_eq!(report.new_messages, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_without_changes_ends_at_its_deadline() {
    let env = Env::new("idle-quiet", 0);
    let started = Instant::now();
    let changed = heron_sync::push::wait_for_change(&env.connect, &inbox(), Duration::from_secs(2))
        .await
        .unwrap();
    assert!(!changed);
    assert!(started.elapsed() >= Duration::from_secs(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watched_folder_other_than_the_inbox_reports_its_mail_too() {
    let env = Env::new("idle-folders", 0);
    let mut other = env.other_client().await;
    other.create("Projects").await.unwrap();
    other.logout().await;
    let connect = env.connect.clone();
    let watched = vec!["INBOX".to_owned(), "Projects".to_owned()];
    let waiter = tokio::spawn(async move {
        heron_sync::push::wait_for_change(&connect, &watched, Duration::from_secs(30)).await
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut other = env.other_client().await;
    append(
        &mut other,
        "Projects",
        "proj@example.test",
        "For the project",
    )
    .await;
    other.logout().await;
    let started = Instant::now();
    assert!(
        waiter.await.unwrap().unwrap(),
        "a change in Projects must end the wait"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}
