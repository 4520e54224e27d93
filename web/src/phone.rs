//! Mobile numbers as senders type them for 2FA, judged by the server's own rule
//! (`zegel_core::phone`): the check runs in a wasm module of its own (`src/bin/phone.rs`, loaded by
//! `js/phone.js` at the 2FA step), because libphonenumber's metadata and a regex engine would otherwise
//! double the pane's download.

use wasm_bindgen::prelude::*;
pub use zegel_core::phone::{COUNTRIES, PhoneVerdict};

#[wasm_bindgen(module = "/js/phone.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = checkPhone)]
    async fn js_check_phone(input: &str, country: &str) -> Result<JsValue, JsValue>;
}

/// Judges `input` (national numbers read in `country`); `None` when the check could not be loaded.
pub async fn check(input: &str, country: &str) -> Option<PhoneVerdict> {
    let json = js_check_phone(input, country).await.ok()?.as_string()?;
    serde_json::from_str(&json).ok()
}

/// The countries offered for national numbers: the tenant's default first (also when it is not one of
/// [`COUNTRIES`]), then the rest.
pub fn countries(default_country: &str) -> Vec<String> {
    let default_country = default_country.to_ascii_uppercase();
    std::iter::once(default_country.clone())
        .chain(
            COUNTRIES
                .iter()
                .map(|(c, _)| (*c).to_owned())
                .filter(|c| *c != default_country),
        )
        .collect()
}

/// How a country shows in the picker: `NL +31`, or the bare code for one without a known prefix.
pub fn country_label(country: &str) -> String {
    COUNTRIES
        .iter()
        .find(|(c, _)| *c == country)
        .map(|(c, code)| format!("{c} {code}"))
        .unwrap_or_else(|| country.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tenants_country_comes_first_once() {
        let list = countries("se");
        assert_eq!(list[0], "SE");
        assert_eq!(list.iter().filter(|c| *c == "SE").count(), 1);
        assert_eq!(list.len(), COUNTRIES.len());
        assert_eq!(
            countries("IS")[0],
            "IS",
            "a country outside the list still leads"
        );
        assert_eq!(country_label("SE"), "SE +46");
    }
}
