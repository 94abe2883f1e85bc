//! Running the tool on a pseudo-terminal, as an operator does.

use crate::cli::{BIN, run};
use clerk_invitations::emulator::{DEFAULT_EMULATOR_KEY, Emulator};
use std::path::PathBuf;
use std::process::Command;

/// How the terminal is set up and what the operator does on it.
#[derive(Default)]
pub(crate) struct Terminal<'a> {
    /// Typed, then an end of file.
    pub(crate) input: Option<&'a str>,
    /// Standard output goes to this file instead of the terminal (`> file`).
    pub(crate) stdout_to: Option<PathBuf>,
    /// Ctrl-C is typed `interrupt_delay_s` seconds after the terminal shows this.
    pub(crate) interrupt_on: Option<&'a str>,
    pub(crate) interrupt_delay_s: f64,
    /// The terminal's width (80 if not set).
    pub(crate) columns: Option<u16>,
}

const PTY: &str = r#"
import fcntl, os, pty, select, struct, sys, termios, time
out_path = os.environ.get("PTY_STDOUT")
marker = os.environ.get("PTY_INTERRUPT_ON", "").encode()
delay = float(os.environ.get("PTY_INTERRUPT_DELAY", "0"))
cols = int(os.environ.get("PTY_COLUMNS", "80"))
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, cols, 0, 0))
    if out_path:
        f = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(f, 1)
    os.execv(sys.argv[1], sys.argv[1:])
data = os.environ.get("PTY_INPUT")
if data is not None:
    time.sleep(0.5)
    os.write(fd, data.encode())
    os.write(fd, b"\x04")
out = b""
seen_at = None
sent = False
while True:
    r, _, _ = select.select([fd], [], [], 0.05)
    if r:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    if marker and not sent:
        if seen_at is None and marker in out:
            seen_at = time.time()
        if seen_at is not None and time.time() - seen_at >= delay:
            os.write(fd, b"\x03")
            sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.WEXITSTATUS(status))
"#;

/// Runs the tool with `args` on a pseudo-terminal (standard input, output and error unless
/// `stdout_to`); returns what the terminal showed and the exit code.
pub(crate) async fn on_a_terminal(emu: &Emulator, args: &[&str], t: Terminal<'_>) -> (String, i32) {
    let mut c = Command::new("python3");
    c.arg("-c").arg(PTY).arg(BIN).args(args);
    c.env("CLERK_SECRET_KEY", DEFAULT_EMULATOR_KEY)
        .env("CLERK_API_URL", emu.base_url())
        .env("CLERK_SETTLE_WINDOW_MS", "300");
    if let Some(i) = t.input {
        c.env("PTY_INPUT", i);
    }
    if let Some(p) = &t.stdout_to {
        c.env("PTY_STDOUT", p);
    }
    if let Some(m) = t.interrupt_on {
        c.env("PTY_INTERRUPT_ON", m)
            .env("PTY_INTERRUPT_DELAY", t.interrupt_delay_s.to_string());
    }
    if let Some(w) = t.columns {
        c.env("PTY_COLUMNS", w.to_string());
    }
    let out = run(c).await;
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}
