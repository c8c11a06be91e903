//! Where `tally-export` writes a table: standard output, or the file given with
//! `--output`, which appears only once it is complete.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use tally_figures::FigureTable;
use tally_report::{Format, Table, WriteOptions};

pub fn refuse_xlsx_on_a_terminal(format: Format, output: Option<&Path>) -> anyhow::Result<()> {
    if format == Format::Xlsx && output.is_none() && std::io::stdout().is_terminal() {
        bail!("an XLSX file is binary: pass --output FILE, or redirect standard output");
    }
    Ok(())
}

/// Refuses `--bom` with a format other than CSV: JSON must not start with a
/// byte-order mark and XLSX has no place for one, and ignoring the flag would
/// hide a mistake.
pub fn refuse_bom_without_csv(format: Format, bom: bool) -> anyhow::Result<()> {
    if bom && format != Format::Csv {
        bail!("--bom is for CSV only: --format {format} has no byte-order mark");
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
            let (file, output) = OutputFile::create(path)?;
            let mut out = BufWriter::new(file);
            tally_report::write_table(format, table, options, &mut out)?;
            out.flush().with_context(|| format!("writing {}", path.display()))?;
            drop(out);
            output.persist()?;
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

/// Writes a finished document's `bytes` (`what` names it in messages) to
/// `output`, or to standard output.
pub fn write_bytes(bytes: &[u8], output: Option<&Path>, what: &str) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            let (mut file, output) = OutputFile::create(path)?;
            file.write_all(bytes).with_context(|| format!("writing {}", path.display()))?;
            drop(file);
            output.persist()?;
            eprintln!("wrote {what} ({} bytes) to {}", bytes.len(), path.display());
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes).context("writing to standard output")?;
            out.flush().context("writing to standard output")?;
        }
    }
    Ok(())
}

/// An output file being written: its bytes go to a temporary file in the same
/// directory, renamed to the file's name only by [`OutputFile::persist`]. An
/// export that fails, or is killed, leaves no file (or an earlier one
/// untouched), never an empty or half-written one under the name asked for.
pub struct OutputFile {
    path: PathBuf,
    partial: tempfile::TempPath,
}

impl OutputFile {
    /// Creates the temporary file beside `path`, answering it for writing.
    /// Dropped without [`OutputFile::persist`], it is removed.
    pub fn create(path: &Path) -> anyhow::Result<(File, OutputFile)> {
        let directory = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let name = path.file_name().unwrap_or(path.as_os_str()).to_string_lossy();
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".partial");
        // The mode `File::create` gives (less the umask), not tempfile's 0600:
        // the export is the operator's to hand on.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let (file, partial) = builder
            .tempfile_in(directory)
            .with_context(|| format!("creating a temporary file for {}", path.display()))?
            .into_parts();
        Ok((file, OutputFile { path: path.to_owned(), partial }))
    }

    /// Gives the complete file its name, replacing any file of that name.
    pub fn persist(self) -> anyhow::Result<()> {
        let path = self.path;
        self.partial
            .persist(&path)
            .map_err(|error| error.error)
            .with_context(|| format!("renaming the finished temporary file to {}", path.display()))
    }
}
