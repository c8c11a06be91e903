//! The audit log's integrity status on the page: an entry rewritten in the
//! file behind the service's back shows as a broken chain.

use tally_store::{NewToken, Store, StoreOptions, TokenGrant};

use crate::support::{Browser, demo};

#[test]
fn an_entry_rewritten_in_the_file_shows_the_chain_broken() {
    let demo = demo();
    // The last account: no other test reads its audit log.
    let account = demo.accounts.last().unwrap().clone();
    let token = {
        let mut store = Store::open(&demo.db, &StoreOptions::default()).unwrap();
        let grant =
            TokenGrant::Administrator { account: account.clone(), server_management_read: false };
        let made = store.create_token(&NewToken { grant, label: "chain".into(), expires_at: None });
        made.unwrap().1.expose().to_owned()
    };
    let connection = rusqlite::Connection::open(&demo.db).unwrap();
    let (account_id, seq): (i64, i64) = connection
        .query_row(
            "SELECT a.account_id, min(e.seq) FROM audit_accounts a JOIN audit_entries e USING (account_id) \
             WHERE a.account = ?1",
            [&account],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    let rewritten = connection
        .execute(
            "UPDATE audit_entries SET resource_id = resource_id || '-rewritten' WHERE account_id = ?1 AND seq = ?2",
            [account_id, seq],
        )
        .unwrap();
    assert_eq!(rewritten, 1);
    drop(connection);

    let browser = Browser::new();
    browser.sign_in(&token);
    let started = std::time::Instant::now();
    let status = loop {
        browser.goto("/audit/entity");
        browser.wait_until("return document.readyState === 'complete'");
        let found = browser.script(
            "const p = document.querySelector('section.chain p.status.broken[role=alert]'); return p && p.textContent",
        );
        if let Some(text) = found.as_str() {
            break text.to_owned();
        }
        assert!(started.elapsed().as_secs() < 30, "no broken status after 30 s");
        std::thread::sleep(std::time::Duration::from_millis(250));
    };
    assert!(status.starts_with("The chain is broken:"), "{status}");
    assert!(status.contains(&format!("entry {seq} was altered")), "{status}");
}
