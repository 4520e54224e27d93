//! The typed values the store keeps as text columns: one enum per column, read back strictly (a value
//! the schema does not know is a decoding error, never a silent default).

/// Declares an enum kept as text: `as_str` writes the column, `decode` reads it back.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            /// The column's text.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }

            /// Reads the column's text.
            pub(crate) fn decode(text: &str) -> Result<Self, sqlx::Error> {
                match text {
                    $($text => Ok(Self::$variant),)+
                    other => Err(sqlx::Error::Decode(
                        format!(concat!("unknown ", stringify!($name), " '{}'"), other).into(),
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum! {
    /// Where a message is in its life (`messages.status`).
    MessageStatus {
        /// Its links work (until they expire or it is blocked).
        Active = "active",
        /// Waiting for the mobile numbers of its two-factor recipients; nothing was sent yet.
        Held = "held",
        /// Its expiry passed: its content is destroyed, the tracking record stays.
        Expired = "expired",
        /// Its sender deleted it: the same as expired, earlier.
        Deleted = "deleted",
    }
}

impl MessageStatus {
    /// Whether its content is gone (expired or deleted).
    pub fn is_destroyed(self) -> bool {
        matches!(self, Self::Expired | Self::Deleted)
    }
}

text_enum! {
    /// How an outbox job leaves (`outbox.kind`).
    JobKind {
        /// Through the mail transport.
        Email = "email",
        /// Through the SMS provider.
        Sms = "sms",
        /// Unchanged to the gateway's next hop.
        Relay = "relay",
    }
}

text_enum! {
    /// What an outbox job is for (`outbox.purpose`): what its success or failure updates.
    JobPurpose {
        /// A recipient's notification (its outcome is the recipient's `sent`/`bounced`).
        Notification = "notification",
        /// A recipient's password mail.
        Password = "password",
        /// A recipient's SMS code (its failure is shown to the sender).
        SmsCode = "sms_code",
        /// The sender's request for mobile numbers of a held message.
        PhoneRequest = "phone_request",
        /// The sender's notice that a held message expired unsent.
        HeldExpired = "held_expired",
        /// The sender's confirmation of what they sent, or notice of a download.
        SenderNotice = "sender_notice",
        /// Mail the gateway relays.
        Relay = "relay",
        /// A delivery status notification for relayed mail that failed.
        Dsn = "dsn",
    }
}

/// Reads a `kind` column of `messages`.
pub(crate) fn message_kind(text: &str) -> Result<zegel_core::MessageKind, sqlx::Error> {
    zegel_core::MessageKind::parse(text)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown message kind '{text}'").into()))
}

/// Reads an `auth_level` column (none for public files).
pub(crate) fn auth_level(
    text: Option<String>,
) -> Result<Option<zegel_core::AuthLevel>, sqlx::Error> {
    text.map(|text| {
        zegel_core::AuthLevel::parse(&text)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown auth level '{text}'").into()))
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_reads_back_and_nothing_else_does() {
        for status in MessageStatus::ALL {
            assert_eq!(MessageStatus::decode(status.as_str()).unwrap(), *status);
        }
        for kind in JobKind::ALL {
            assert_eq!(JobKind::decode(kind.as_str()).unwrap(), *kind);
        }
        for purpose in JobPurpose::ALL {
            assert_eq!(JobPurpose::decode(purpose.as_str()).unwrap(), *purpose);
        }
        assert!(MessageStatus::decode("sent").is_err());
        assert!(JobPurpose::decode("Notification").is_err());
    }
}
