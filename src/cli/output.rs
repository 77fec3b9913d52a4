//! Every write of a command to stdout and stderr. A closed pipe (`cadence ... | head -c1`) is
//! not an error of the command: writing stops quietly and the command keeps its own exit code.
//! Any other failure to write stdout (a full disk behind `>`) is reported and exits 2. Nothing
//! here panics, unlike `print!`.

use std::fmt::Display;
use std::io::{ErrorKind, Write};

use super::Exit;

/// Write `text` to stdout and flush. `Ok(true)`: written; `Ok(false)`: the reader closed the
/// pipe, so the caller stops writing (and keeps its exit code); `Err(Exit::Usage)`: another
/// error, already reported on stderr.
pub(crate) fn emit(text: &str) -> Result<bool, Exit> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(false),
        Err(e) => {
            say(format_args!("error: cannot write to stdout: {e}\n"));
            Err(Exit::Usage)
        }
    }
}

/// Write `text` to stderr; a closed or failing stderr is ignored (there is nowhere to say so).
pub(crate) fn say(text: impl Display) {
    let _ = write!(std::io::stderr().lock(), "{text}");
}
