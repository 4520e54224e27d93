//! The typed values the store keeps as text columns.

/// Where a message is in its life (`messages.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageStatus {
    /// Its links work (until they expire or it is blocked).
    Active,
    /// Waiting for the mobile numbers of its two-factor recipients; nothing was sent yet.
    Held,
    /// Its expiry passed: its content is destroyed, the tracking record stays.
    Expired,
    /// Its sender deleted it: the same as expired, earlier.
    Deleted,
}

impl MessageStatus {
    /// The column's text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Held => "held",
            Self::Expired => "expired",
            Self::Deleted => "deleted",
        }
    }

    /// Whether its content is gone (expired or deleted).
    pub fn is_destroyed(self) -> bool {
        matches!(self, Self::Expired | Self::Deleted)
    }

    /// Reads the column's text; anything else is a decoding error (the schema allows nothing else).
    pub(crate) fn decode(text: &str) -> Result<Self, sqlx::Error> {
        Ok(match text {
            "active" => Self::Active,
            "held" => Self::Held,
            "expired" => Self::Expired,
            "deleted" => Self::Deleted,
            other => {
                return Err(sqlx::Error::Decode(
                    format!("unknown message status '{other}'").into(),
                ));
            }
        })
    }
}

impl std::fmt::Display for MessageStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_reads_back() {
        for status in [
            MessageStatus::Active,
            MessageStatus::Held,
            MessageStatus::Expired,
            MessageStatus::Deleted,
        ] {
            assert_eq!(MessageStatus::decode(status.as_str()).unwrap(), status);
        }
        assert!(MessageStatus::decode("sent").is_err());
    }
}
