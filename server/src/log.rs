//! Logging. Every event is exactly one line whatever its values hold: [`EscapedStderr`] escapes line
//! breaks and other control characters inside an event, so a newline in an address or a file name can
//! never forge a log line. Refused requests are logged by [`log_refusals`] with the route pattern, the
//! status and the error code only: no URL (links carry tokens), no addresses, numbers or file names.

use std::io::{self, Write};

use axum::extract::{ConnectInfo, MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Sets up the process's log: `ZEGEL_LOG` filters (default `info,sqlx=warn`), one escaped line per event
/// on stderr; `ZEGEL_LOG_FORMAT=json` writes each event as one JSON object (for log collectors), any
/// other value or none the readable text. Both are read before the configuration, like `ZEGEL_LOG`.
pub fn init() {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("ZEGEL_LOG")
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        // Colour codes would be escaped like any other control character.
        .with_ansi(false)
        .with_writer(EscapedStderr);
    if std::env::var("ZEGEL_LOG_FORMAT").is_ok_and(|format| format == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Stderr, one escaped line per event (the formatter hands over each event in one write).
#[derive(Debug, Clone, Copy, Default)]
pub struct EscapedStderr;

impl<'a> MakeWriter<'a> for EscapedStderr {
    type Writer = EscapedWriter<io::Stderr>;

    fn make_writer(&'a self) -> Self::Writer {
        EscapedWriter(io::stderr())
    }
}

/// Writes each buffer as one line: its final line break is kept, every other control character is
/// escaped.
#[derive(Debug)]
pub struct EscapedWriter<W>(pub W);

impl<W: Write> Write for EscapedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write_all(&escape_event(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// One formatted event as exactly one line.
pub fn escape_event(event: &[u8]) -> Vec<u8> {
    let (body, line_end) = match event.strip_suffix(b"\n") {
        Some(body) => (body, true),
        None => (event, false),
    };
    let text = String::from_utf8_lossy(body);
    let mut out = String::with_capacity(text.len() + 1);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Other controls, and the Unicode line and paragraph separators some viewers break on.
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => {
                out.push_str(&format!("\\u{{{:04x}}}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    if line_end {
        out.push('\n');
    }
    out.into_bytes()
}

/// The error code of a refused request, left on the response for [`log_refusals`].
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode(pub &'static str);

/// Logs every refused request (4xx) at INFO: method, route pattern, status, error code and client
/// address. Nothing the client sent is logged.
pub async fn log_refusals(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(no route)".to_owned(), |m| m.as_str().to_owned());
    let client = request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let response = next.run(request).await;
    let status = response.status();
    if status.is_client_error() {
        let code = response
            .extensions()
            .get::<ErrorCode>()
            .map_or("-", |c| c.0);
        tracing::info!(
            %method,
            route,
            status = status.as_u16(),
            code,
            client = client.map(|ip| ip.to_string()).unwrap_or_default(),
            "request refused"
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_stays_one_line() {
        let forged =
            b"INFO gateway: from=a@b.example\nERROR forged line\r\x1b[31m\xe2\x80\xa8end\n";
        let escaped = String::from_utf8(escape_event(forged)).unwrap();
        assert_eq!(
            escaped,
            "INFO gateway: from=a@b.example\\nERROR forged line\\r\\u{001b}[31m\\u{2028}end\n"
        );
        assert_eq!(escaped.matches('\n').count(), 1);
        let mut out = Vec::new();
        EscapedWriter(&mut out).write_all(b"a\nb\n").unwrap();
        assert_eq!(out, b"a\\nb\n");
    }
}
