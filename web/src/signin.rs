//! Signing the sender in, for both panes: Office single sign-on with Microsoft Entra ID first (the token
//! comes from `Office.auth.getAccessToken` through [`crate::office::sso_token`], for the app
//! registration the manifest's `WebApplicationInfo` names), else the developer fallback, a sender token
//! pasted once and kept in the roaming settings. The server decides: a client counts as signed in once
//! `GET /api/v1/settings` accepts its token.

use zegel_core::Language;

use crate::api::{Api, ApiError};
use crate::i18n::Texts;
use crate::office;
use zegel_core::settings::SenderSettings;

/// Why the pane is not signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInError {
    /// Neither single sign-on nor a stored token worked: show the sign-in screen. `refused` says that a
    /// stored token was refused.
    NeedSignIn {
        /// A stored token was refused.
        refused: bool,
    },
    /// The server cannot be reached.
    Network,
}

/// What became of single sign-on, for the sign-in screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SingleSignOn {
    /// Not tried yet.
    #[default]
    NotTried,
    /// This Outlook, or this installation's manifest, has none: the screen offers only the token.
    Unavailable,
    /// Tried and failed (Office gave no token, or the server refused it): the screen offers it again.
    Failed,
}

/// Office's error code for "this Office or this add-in has no single sign-on".
const SSO_NOT_SUPPORTED: &str = "13000";

/// Single sign-on, asking the user only if Office must: a client the server accepts.
pub async fn with_single_sign_on()
-> Result<(Api, SenderSettings), (SingleSignOn, Option<SignInError>)> {
    if let Err(error) = office::sso_token(true).await {
        let unavailable = error.0.contains(SSO_NOT_SUPPORTED) || error.0.contains("not available");
        let status = if unavailable {
            SingleSignOn::Unavailable
        } else {
            SingleSignOn::Failed
        };
        return Err((status, None));
    }
    let api = Api::single_sign_on();
    match api.settings().await {
        Ok(settings) => Ok((api, settings)),
        Err(ApiError::Network(_)) => Err((SingleSignOn::Failed, Some(SignInError::Network))),
        // The tenant does not trust this token's issuer (or audience, or scope).
        Err(_) => Err((SingleSignOn::Failed, None)),
    }
}

/// Signs in without a form: single sign-on, else the stored sender token. Also says how single sign-on
/// went, for the screen shown when neither worked.
pub async fn sign_in_quietly() -> (Result<(Api, SenderSettings), SignInError>, SingleSignOn) {
    let sso = match with_single_sign_on().await {
        Ok(signed_in) => return (Ok(signed_in), SingleSignOn::NotTried),
        Err((_, Some(SignInError::Network))) => {
            return (Err(SignInError::Network), SingleSignOn::Failed);
        }
        Err((sso, _)) => sso,
    };
    let token = office::roaming_get(office::TOKEN_KEY);
    if token.is_empty() {
        return (Err(SignInError::NeedSignIn { refused: false }), sso);
    }
    let api = Api::new(token);
    let outcome = match api.settings().await {
        Ok(settings) => Ok((api, settings)),
        Err(ApiError::Unauthorized) => Err(SignInError::NeedSignIn { refused: true }),
        Err(ApiError::Network(_)) => Err(SignInError::Network),
        Err(_) => Err(SignInError::NeedSignIn { refused: true }),
    };
    (outcome, sso)
}

/// The sign-in screen's words for single sign-on.
impl Texts {
    /// The button that signs in with the Microsoft account Outlook uses.
    pub fn sso_button(&self) -> &'static str {
        match self.language {
            Language::Nl => "Aanmelden met uw Microsoft-account",
            Language::En => "Sign in with your Microsoft account",
            Language::Sv => "Logga in med ditt Microsoft-konto",
        }
    }

    /// Single sign-on failed.
    pub fn sso_failed(&self) -> &'static str {
        match self.language {
            Language::Nl => {
                "Aanmelden met uw Microsoft-account is niet gelukt. Probeer het opnieuw, of vraag uw beheerder Zegel voor uw organisatie in te stellen."
            }
            Language::En => {
                "Signing in with your Microsoft account did not work. Try again, or ask your administrator to set Zegel up for your organisation."
            }
            Language::Sv => {
                "Inloggningen med ditt Microsoft-konto misslyckades. Försök igen, eller be din administratör att konfigurera Zegel för din organisation."
            }
        }
    }

    /// Between single sign-on and the developer token.
    pub fn sso_or_token(&self) -> &'static str {
        match self.language {
            Language::Nl => "Of gebruik een afzendertoken:",
            Language::En => "Or use a sender token:",
            Language::Sv => "Eller använd en avsändartoken:",
        }
    }
}
