use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailin::{Action, Handler, Response, SessionBuilder};

use crate::wait_until;

/// A mail as the receiver got it.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// Envelope sender.
    pub mail_from: String,
    /// Envelope recipients.
    pub rcpt_to: Vec<String>,
    /// The raw message, exactly as it came in DATA.
    pub raw: Vec<u8>,
    /// Subject header, decoded (empty when the mail does not parse).
    pub subject: String,
    /// The text part, decoded.
    pub text: String,
    /// The HTML part, decoded.
    pub html: String,
}

impl ReceivedMail {
    /// The recipient's link (`<base>/m/...`) in the text part.
    pub fn link(&self, base: &str) -> String {
        crate::link_after(&self.text, &format!("{base}/m/"))
    }
}

/// A real SMTP receiver on a loopback port: Zegel's mail transport, or the gateway's next hop.
pub struct SmtpReceiver {
    /// Where it listens.
    pub address: SocketAddr,
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
    refusals: Arc<Mutex<Refusals>>,
}

/// Which `RCPT TO` the receiver refuses, and with which code.
#[derive(Default)]
struct Refusals {
    everyone: Option<u16>,
    addresses: HashMap<String, u16>,
}

impl Refusals {
    fn reply(&self, to: &str) -> Option<Response> {
        let code = self.addresses.get(to).copied().or(self.everyone)?;
        Some(if code == 550 {
            mailin::response::NO_MAILBOX
        } else {
            Response::custom(code, "4.2.1 Mailbox busy, try again later".to_owned())
        })
    }
}

struct Collect {
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
    refusals: Arc<Mutex<Refusals>>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Collect {
    fn mail(&mut self, _ip: IpAddr, _domain: &str, from: &str) -> Response {
        self.from = from.to_owned();
        self.to.clear();
        self.data.clear();
        mailin::response::OK
    }
    fn rcpt(&mut self, to: &str) -> Response {
        if let Some(refusal) = self.refusals.lock().unwrap().reply(to) {
            return refusal;
        }
        self.to.push(to.to_owned());
        mailin::response::OK
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }
    fn data_end(&mut self) -> Response {
        let raw = std::mem::take(&mut self.data);
        let parsed = mail_parser::MessageParser::default().parse(&raw);
        let part = |text: Option<std::borrow::Cow<'_, str>>| text.map(|t| t.into_owned());
        let mail = ReceivedMail {
            mail_from: self.from.clone(),
            rcpt_to: self.to.clone(),
            subject: parsed
                .as_ref()
                .and_then(|p| p.subject())
                .unwrap_or_default()
                .to_owned(),
            text: parsed
                .as_ref()
                .and_then(|p| part(p.body_text(0)))
                .unwrap_or_default(),
            html: parsed
                .as_ref()
                .and_then(|p| part(p.body_html(0)))
                .unwrap_or_default(),
            raw,
        };
        self.mails.lock().unwrap().push(mail);
        mailin::response::OK
    }
}

impl SmtpReceiver {
    /// Starts on a free port.
    pub fn start() -> Self {
        Self::start_on("127.0.0.1:0".parse().unwrap())
    }

    /// Starts on a given address.
    pub fn start_on(address: SocketAddr) -> Self {
        let listener = TcpListener::bind(address).expect("bind the SMTP receiver");
        let address = listener.local_addr().unwrap();
        let mails: Arc<Mutex<Vec<ReceivedMail>>> = Arc::default();
        let refusals: Arc<Mutex<Refusals>> = Arc::default();
        let (shared_mails, shared_refusals) = (mails.clone(), refusals.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let handler = Collect {
                    mails: shared_mails.clone(),
                    refusals: shared_refusals.clone(),
                    from: String::new(),
                    to: Vec::new(),
                    data: Vec::new(),
                };
                std::thread::spawn(move || serve(stream, handler));
            }
        });
        Self {
            address,
            mails,
            refusals,
        }
    }

    /// Refuses `RCPT TO:<to>` with `code` from now on: 550 refuses for good, a 4xx code for now.
    pub fn refuse(&self, to: &str, code: u16) {
        self.refusals
            .lock()
            .unwrap()
            .addresses
            .insert(to.to_owned(), code);
    }

    /// Accepts `to` again after [`SmtpReceiver::refuse`].
    pub fn accept(&self, to: &str) {
        self.refusals.lock().unwrap().addresses.remove(to);
    }

    /// Refuses every recipient with `code` from now on (`None`: accepts them again).
    pub fn refuse_everyone(&self, code: Option<u16>) {
        self.refusals.lock().unwrap().everyone = code;
    }

    /// Everything received so far.
    pub fn mails(&self) -> Vec<ReceivedMail> {
        self.mails.lock().unwrap().clone()
    }

    /// How many mails `to` received so far.
    pub fn count_to(&self, to: &str) -> usize {
        self.mails
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.rcpt_to.iter().any(|r| r == to))
            .count()
    }

    /// Waits (up to 30 s) for a mail to `to` whose subject contains `subject_part`.
    pub fn wait_for(&self, to: &str, subject_part: &str) -> ReceivedMail {
        wait_until(
            Duration::from_secs(30),
            &format!("a mail to {to} about {subject_part:?}"),
            || {
                self.mails()
                    .into_iter()
                    .find(|m| m.rcpt_to.iter().any(|r| r == to) && m.subject.contains(subject_part))
            },
        )
    }
}

fn serve(stream: TcpStream, handler: Collect) {
    let peer = stream
        .peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let mut session = SessionBuilder::new("receiver.test").build(peer, handler);
    // Replies go out in one write each, without Nagle's delay: a multi-line EHLO reply written piecewise
    // would otherwise wait for the client's delayed ACK.
    let _ = stream.set_nodelay(true);
    let mut writer = std::io::BufWriter::new(stream.try_clone().unwrap());
    let mut reader = BufReader::new(stream);
    if session.greeting().write_to(&mut writer).is_err() || writer.flush().is_err() {
        return;
    }
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let response = session.process(&line);
        match response.action {
            Action::NoReply => continue,
            Action::Close => {
                let _ = response.write_to(&mut writer);
                let _ = writer.flush();
                return;
            }
            _ => {
                if response.write_to(&mut writer).is_err() || writer.flush().is_err() {
                    return;
                }
            }
        }
    }
}
