//! The audit trail: who did what to which message, when and from where. Never secrets, codes, bodies
//! or file names.

use super::{Db, DbResult};

/// One event to append.
#[derive(Debug, Clone, Default)]
pub struct AuditEvent<'a> {
    /// The tenant, when known.
    pub tenant_id: Option<&'a str>,
    /// The message, when there is one.
    pub message_id: Option<&'a str>,
    /// Who: `sender:<address>`, `recipient:<address>`, `admin:<address>` or `system`.
    pub actor: String,
    /// What happened, e.g. `message.created`, `access.verified`.
    pub event: &'a str,
    /// The client's IP address.
    pub ip: Option<String>,
    /// The client's user agent.
    pub user_agent: Option<String>,
}

/// Appends an event.
pub async fn append(db: &Db, now: i64, event: &AuditEvent<'_>) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO audit_events (at, tenant_id, message_id, actor, event, ip, user_agent)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(now)
    .bind(event.tenant_id)
    .bind(event.message_id)
    .bind(&event.actor)
    .bind(event.event)
    .bind(&event.ip)
    .bind(&event.user_agent)
    .execute(&db.pool)
    .await?;
    Ok(())
}
