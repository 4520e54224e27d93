//! Tenants (organisations), the mail domains they own, and their users.

use sqlx::Row;

use super::{Db, DbResult};

/// A tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// Its id.
    pub id: String,
    /// Its display name.
    pub name: String,
}

/// A user of a tenant (a sender, or an admin).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Its id.
    pub id: String,
    /// The tenant it belongs to.
    pub tenant_id: String,
    /// The normalised address.
    pub email: String,
    /// `sender` or `admin`.
    pub role: String,
}

/// Why a tenant could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateTenantError {
    /// Another tenant already owns a domain.
    #[error("the domain {0} already belongs to a tenant")]
    DomainTaken(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Creates a tenant owning `domains` (lower case), all or nothing.
pub async fn create_tenant(
    db: &Db,
    name: &str,
    domains: &[String],
    now: i64,
) -> Result<Tenant, CreateTenantError> {
    let mut tx = db.pool.begin().await?;
    for domain in domains {
        let taken = sqlx::query("SELECT tenant_id FROM tenant_domains WHERE domain = $1")
            .bind(domain)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(CreateTenantError::DomainTaken(domain.clone()));
        }
    }
    let tenant = Tenant {
        id: zegel_crypto::random_id(),
        name: name.to_owned(),
    };
    sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(&tenant.id)
        .bind(&tenant.name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    for domain in domains {
        sqlx::query("INSERT INTO tenant_domains (domain, tenant_id) VALUES ($1, $2)")
            .bind(domain)
            .bind(&tenant.id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(tenant)
}

/// The tenant owning a mail domain.
pub async fn tenant_for_domain(db: &Db, domain: &str) -> DbResult<Option<Tenant>> {
    let row = sqlx::query(
        "SELECT t.id, t.name FROM tenants t JOIN tenant_domains d ON d.tenant_id = t.id WHERE d.domain = $1",
    )
    .bind(domain.to_ascii_lowercase())
    .fetch_optional(&db.pool)
    .await?;
    row.map(|row| {
        Ok(Tenant {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
        })
    })
    .transpose()
}

/// A tenant by id.
pub async fn tenant(db: &Db, id: &str) -> DbResult<Option<Tenant>> {
    let row = sqlx::query("SELECT id, name FROM tenants WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    row.map(|row| {
        Ok(Tenant {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
        })
    })
    .transpose()
}

fn user_from_row(row: &sqlx::any::AnyRow) -> DbResult<User> {
    Ok(User {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        email: row.try_get("email")?,
        role: row.try_get("role")?,
    })
}

/// A user by id.
pub async fn user(db: &Db, id: &str) -> DbResult<Option<User>> {
    let row = sqlx::query("SELECT id, tenant_id, email, role FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(user_from_row).transpose()
}

/// The user of `tenant_id` with an address, if there is one.
pub async fn user_by_email(db: &Db, tenant_id: &str, email: &str) -> DbResult<Option<User>> {
    let row = sqlx::query(
        "SELECT id, tenant_id, email, role FROM users WHERE tenant_id = $1 AND LOWER(email) = LOWER($2)",
    )
    .bind(tenant_id)
    .bind(email)
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(user_from_row).transpose()
}

/// The user with an address, created as a sender of `tenant_id` when it does not exist yet. Every
/// request signed in with OpenID Connect (Office single sign-on) passes here, so a known user costs one
/// read, not a write.
pub async fn ensure_user(db: &Db, tenant_id: &str, email: &str, now: i64) -> DbResult<User> {
    let known = sqlx::query("SELECT id, tenant_id, email, role FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(&db.pool)
        .await?;
    if let Some(row) = known {
        return user_from_row(&row);
    }
    sqlx::query(
        "INSERT INTO users (id, tenant_id, email, role, created_at) VALUES ($1, $2, $3, 'sender', $4)
         ON CONFLICT (email) DO NOTHING",
    )
    .bind(zegel_crypto::random_id())
    .bind(tenant_id)
    .bind(email)
    .bind(now)
    .execute(&db.pool)
    .await?;
    let row = sqlx::query("SELECT id, tenant_id, email, role FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&db.pool)
        .await?;
    user_from_row(&row)
}

/// The mail domains a tenant owns.
pub async fn domains(db: &Db, tenant_id: &str) -> DbResult<Vec<String>> {
    let rows =
        sqlx::query("SELECT domain FROM tenant_domains WHERE tenant_id = $1 ORDER BY domain")
            .bind(tenant_id)
            .fetch_all(&db.pool)
            .await?;
    rows.iter().map(|row| row.try_get("domain")).collect()
}

/// The longest link expiry (days) the operator allows a tenant.
pub async fn max_expiry_days(db: &Db, tenant_id: &str) -> DbResult<i64> {
    let row = sqlx::query("SELECT max_expiry_days FROM tenants WHERE id = $1")
        .bind(tenant_id)
        .fetch_optional(&db.pool)
        .await?;
    row.map(|row| row.try_get("max_expiry_days"))
        .transpose()
        .map(|days| days.unwrap_or(14))
}

/// Sets the longest link expiry (days) the operator allows a tenant.
pub async fn set_max_expiry_days(db: &Db, tenant_id: &str, days: i64) -> DbResult<()> {
    sqlx::query("UPDATE tenants SET max_expiry_days = $1 WHERE id = $2")
        .bind(days)
        .bind(tenant_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Sets a user's role (`sender` or `admin`) within its tenant.
pub async fn set_role(db: &Db, tenant_id: &str, user_id: &str, role: &str) -> DbResult<()> {
    sqlx::query("UPDATE users SET role = $1 WHERE id = $2 AND tenant_id = $3")
        .bind(role)
        .bind(user_id)
        .bind(tenant_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}
