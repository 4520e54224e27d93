//! Icons as inline SVG, drawn in the text colour: emoji render as empty boxes where no emoji font is
//! installed, and say nothing to a screen reader. Every button that shows one carries its own label.

use yew::prelude::*;

/// The icons the pane uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Icon {
    /// File settings (a gear).
    Settings,
    /// Show or hide a password (an eye).
    Eye,
    /// More actions (three dots).
    More,
}

/// An icon, hidden from assistive technology (the button names the action).
pub fn icon(icon: Icon) -> Html {
    let path = match icon {
        Icon::Settings => {
            "M8 5.2a2.8 2.8 0 1 0 0 5.6 2.8 2.8 0 0 0 0-5.6zm6.3 3.6-.1-1.6 1.4-1.1-1.5-2.6-1.7.6-1.3-.8L10.8 1.6H7.8l-.3 1.7-1.4.7-1.6-.6-1.6 2.6 1.4 1.1v1.6l-1.4 1.1 1.6 2.6 1.6-.6 1.4.8.3 1.7h3l.3-1.7 1.3-.8 1.7.6 1.5-2.6z"
        }
        Icon::Eye => {
            "M8 3C4.4 3 1.6 5.4.5 8c1.1 2.6 3.9 5 7.5 5s6.4-2.4 7.5-5C14.4 5.4 11.6 3 8 3zm0 8.2A3.2 3.2 0 1 1 8 4.8a3.2 3.2 0 0 1 0 6.4zm0-5a1.8 1.8 0 1 0 0 3.6 1.8 1.8 0 0 0 0-3.6z"
        }
        Icon::More => {
            "M3 6.5a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z"
        }
    };
    html! {
        <svg class="glyph" aria-hidden="true" focusable="false" viewBox="0 0 16 16" width="16" height="16">
            <path fill="currentColor" fill-rule="evenodd" d={path} />
        </svg>
    }
}
