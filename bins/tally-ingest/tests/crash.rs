//! What survives a killed daemon, and what a stopping daemon finishes.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::common::*;

/// Senders stream batches; the daemon is killed with SIGKILL while they do. Every
/// event it acknowledged must be in the file afterwards.
#[test]
fn every_acknowledged_event_survives_sigkill() {
    let (_dir, db) = temp_db();
    let key = create_account(&db, "acme");
    let mut daemon = Daemon::start(&db, &[]);
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let batches_acknowledged = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));

    let senders: Vec<_> = (0..2)
        .map(|sender| {
            let (url, key) = (format!("{}/v1/batch", daemon.url), key.clone());
            let (acknowledged, batches, stop) =
                (acknowledged.clone(), batches_acknowledged.clone(), stop.clone());
            std::thread::spawn(move || {
                for batch in 0..10_000 {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let ids: Vec<String> =
                        (0..200).map(|n| format!("s{sender}-b{batch}-e{n}")).collect();
                    let body: Vec<String> = ids.iter().map(|id| login(id, "u1")).collect();
                    let response = ureq::Agent::config_builder()
                        .http_status_as_error(false)
                        .build()
                        .new_agent()
                        .post(&url)
                        .header("Authorization", &format!("Bearer {key}"))
                        .send(body.join("\n"));
                    match response {
                        Ok(response) if response.status() == 200 => {
                            acknowledged.lock().unwrap().extend(ids);
                            batches.fetch_add(1, Ordering::SeqCst);
                        }
                        // The daemon is gone: this batch was never acknowledged.
                        _ => break,
                    }
                }
            })
        })
        .collect();

    while batches_acknowledged.load(Ordering::SeqCst) < 40 {
        std::thread::yield_now();
    }
    daemon.child.kill().expect("SIGKILL the daemon");
    daemon.child.wait().unwrap();
    stop.store(true, Ordering::SeqCst);
    for sender in senders {
        sender.join().unwrap();
    }

    let connection = rusqlite::Connection::open(&db).unwrap();
    let stored: HashSet<String> = connection
        .prepare("SELECT payload ->> '$.id' FROM events")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let acknowledged = acknowledged.lock().unwrap();
    assert!(acknowledged.len() >= 40 * 200);
    let missing: Vec<&String> = acknowledged.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged events lost, e.g. {:?}",
        missing.len(),
        missing.first()
    );
}

/// SIGTERM while a batch is being received: the daemon finishes it, answers it,
/// commits it and exits cleanly.
#[test]
fn sigterm_finishes_the_batch_in_flight() {
    let (_dir, db) = temp_db();
    let key = create_account(&db, "acme");
    let mut daemon = Daemon::start(&db, &[]);
    let body = (0..500).map(|n| login(&format!("e{n}"), "u1")).collect::<Vec<_>>().join("\n");
    let address = daemon.url.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&address).unwrap();
    write!(
        stream,
        "POST /v1/batch HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {key}\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    // "100 Continue" comes once the handler has started reading the body: the
    // request is in flight when the signal arrives.
    let mut interim = [0u8; 25];
    stream.read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &daemon.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());

    stream.write_all(body.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(response.contains(r#""accepted":500"#), "{response}");
    let status = daemon.child.wait().unwrap();
    assert!(status.success(), "exit status {status}");
    assert_eq!(count(&db, "SELECT count(*) FROM events"), 500);
}
