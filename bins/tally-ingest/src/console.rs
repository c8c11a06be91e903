//! What `tally-ingest` shows people: progress bars on a terminal, an import's
//! summary, and the demo's figures (the binary's own module).

use std::io::IsTerminal;
use std::path::Path;

use tally_ingest::demo::Demo;
use tally_ingest::outcome::BatchOutcome;

pub fn progress_bar(total_bytes: Option<u64>) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    match total_bytes {
        Some(total) => indicatif::ProgressBar::new(total).with_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} importing [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        ),
        None => indicatif::ProgressBar::new_spinner().with_style(
            indicatif::ProgressStyle::with_template("{spinner} importing {bytes} ({bytes_per_sec})")
                .expect("a valid template"),
        ),
    }
}

/// Rejections printed in full; the rest are counted.
pub const REJECTIONS_SHOWN: usize = 20;

pub fn print_summary(summary: &BatchOutcome) {
    println!(
        "accepted {}, duplicates {}, conflicting {}, rejected {}",
        summary.accepted,
        summary.duplicates,
        summary.conflicting(),
        summary.rejected()
    );
    for conflict in summary.conflicts.iter().take(REJECTIONS_SHOWN) {
        println!(
            "  line {}: id {:?} is stored with other contents; not imported",
            conflict.line, conflict.id
        );
    }
    for rejection in summary.rejections.iter().take(REJECTIONS_SHOWN) {
        println!("  {rejection}");
    }
    let hidden = summary.rejections.len().saturating_sub(REJECTIONS_SHOWN)
        + summary.conflicts.len().saturating_sub(REJECTIONS_SHOWN);
    if hidden > 0 {
        println!("  ... and {hidden} more");
    }
}

pub fn print_demo(db: &Path, demo: &Demo) {
    for entry in &demo.accounts {
        println!(
            "  {:<10} {:<24} {:>8} events accepted ({} duplicates, {} rejected)",
            entry.account.slug,
            entry.account.calendar.time_zone.name(),
            entry.imported.accepted,
            entry.imported.duplicates,
            entry.imported.rejected()
        );
    }
    println!("\nstored events per kind:");
    for entry in &demo.accounts {
        let line: Vec<String> = entry
            .event_counts
            .iter()
            .map(|count| format!("{} {}", count.kind, count.events))
            .collect();
        println!("  {}: {}", entry.account.slug, line.join(", "));
    }
    println!("\nactive seats this month (3 logins in 3 calendar weeks of the term):");
    for entry in &demo.accounts {
        match &entry.seats_this_month {
            Some(figure) => println!(
                "  {:<13} {} seats in {} ({:+} from the month before)",
                entry.account.slug, figure.seats, figure.month, figure.change
            ),
            None => println!("  {:<13} no term covers {}", entry.account.slug, entry.this_month),
        }
    }
    println!("\nwrite keys (send batches with `Authorization: Bearer <key>`):");
    for entry in &demo.accounts {
        println!("  {:<13} {}", entry.account.slug, entry.write_key.expose());
    }
    println!(
        "\nread the figures over HTTP: `tally-api --db {db} token create --role administrator --account {}`, \
         then `tally-api --db {db} serve` (docs/api.md)",
        demo.accounts[0].account.slug,
        db = db.display()
    );
}
