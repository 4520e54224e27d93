//! Tenant settings (the settings issue fills this out): for now the content-filter policy every
//! tenant starts with.

use zegel_core::policy::ContentFilterPolicy;

use crate::error::AppError;
use crate::state::AppState;

/// The content-filter policy of a tenant.
pub async fn content_filter(_state: &AppState, _tenant_id: &str) -> Result<ContentFilterPolicy, AppError> {
    Ok(ContentFilterPolicy::default())
}
