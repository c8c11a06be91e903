//! Where `tally-export` writes a table: standard output, or the file given with
//! `--output`.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, bail};
use tally_figures::FigureTable;
use tally_report::{Format, Table, WriteOptions};

pub fn refuse_xlsx_on_a_terminal(format: Format, output: Option<&Path>) -> anyhow::Result<()> {
    if format == Format::Xlsx && output.is_none() && std::io::stdout().is_terminal() {
        bail!("an XLSX file is binary: pass --output FILE, or redirect standard output");
    }
    Ok(())
}

pub fn titled<R>(table: &FigureTable<R>, rows: &[R], title: Option<String>) -> Table {
    let mut table = table.to_table(rows);
    if let Some(title) = title {
        table.header.title = title;
    }
    table
}

pub fn write(
    table: &Table,
    format: Format,
    output: Option<&Path>,
    options: &WriteOptions,
) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            let file =
                File::create(path).with_context(|| format!("creating {}", path.display()))?;
            let mut out = BufWriter::new(file);
            tally_report::write_table(format, table, options, &mut out)?;
            out.flush().with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {} rows to {}", table.rows.len(), path.display());
        }
        None => {
            let mut out = BufWriter::new(std::io::stdout());
            tally_report::write_table(format, table, options, &mut out)?;
            out.flush().context("writing to standard output")?;
        }
    }
    Ok(())
}
