//! E-mail messages (EML): the subject, every text and HTML body, and the attachments as files of their own.

use mail_parser::{MessageParser, MimeHeaders, PartType};

use super::{Ctx, child, markup};

/// Extracts a message: its text as one part at `path`, each attachment one level deeper.
pub(crate) fn message(
    ctx: &mut Ctx<'_>,
    bytes: &[u8],
    path: &[String],
    depth: usize,
) -> Result<(), String> {
    let msg = MessageParser::default()
        .parse(bytes)
        .ok_or("malformed e-mail message")?;
    let mut buf = ctx.text_buf();
    if let Some(subject) = msg.subject() {
        buf.push(subject);
        buf.push("\n\n");
    }
    // Both alternatives of a multipart/alternative body are read: the HTML one may say more.
    let mut bodies: Vec<u32> = msg
        .text_body
        .iter()
        .chain(&msg.html_body)
        .copied()
        .collect();
    bodies.sort_unstable();
    bodies.dedup();
    for id in bodies {
        match msg.parts.get(id as usize).map(|p| &p.body) {
            Some(PartType::Text(t)) => buf.push(t),
            Some(PartType::Html(h)) => markup::html_to_text(h, &mut buf),
            _ => {}
        }
        buf.newline();
    }
    ctx.finish(path, buf);
    for (n, &id) in msg.attachments.iter().enumerate() {
        if ctx.stopped {
            break;
        }
        let Some(part) = msg.parts.get(id as usize) else {
            continue;
        };
        let is_message = matches!(part.body, PartType::Message(_));
        let name = part
            .attachment_name()
            .map(str::to_owned)
            .unwrap_or_else(|| {
                format!(
                    "attachment-{}{}",
                    n + 1,
                    if is_message { ".eml" } else { "" }
                )
            });
        let entry_path = child(path, &name);
        ctx.file(&name, part.contents(), &entry_path, depth + 1);
    }
    Ok(())
}
