//! Confirmation before the console's destructive actions (removing a link, revoking a key,
//! suspending an application): a page that says what will happen, whose form posts the action
//! with a mark. A post without the mark, e.g. from a page open since before this check, is
//! sent to the confirmation page instead of being acted on.

use askama::Template;
use serde::Deserialize;

use super::guard::{Chrome, Refusal};

/// The value the confirmation page's form gives `confirmed`.
const CONFIRMED: &str = "yes";

/// A destructive action and what it will do, with the button that does it.
#[derive(Template)]
#[template(path = "console/confirmation.html")]
pub struct ConfirmationPage {
    pub chrome: Chrome,
    /// The question, e.g. "Revoke key cvk_live_ab12…?".
    pub question: String,
    /// What the action applies to: label and value.
    pub facts: Vec<(&'static str, String)>,
    /// What will happen, one sentence each.
    pub consequences: Vec<String>,
    /// Where the form posts.
    pub action: String,
    /// Hidden fields the action needs besides the CSRF value and the mark.
    pub fields: Vec<(&'static str, &'static str)>,
    /// The confirm button's label.
    pub button: &'static str,
    /// Where "Cancel" leads.
    pub cancel: String,
}

/// Whether a posted form came from a confirmation page.
#[derive(Deserialize)]
pub struct Confirmation {
    #[serde(default)]
    confirmed: String,
}

impl Confirmation {
    /// `Ok` when confirmed; otherwise a refusal that sends the browser to `page`, the action's
    /// confirmation page.
    pub fn check(&self, page: &str) -> Result<(), Refusal> {
        if self.confirmed == CONFIRMED {
            Ok(())
        } else {
            Err(Refusal::Unconfirmed(page.to_owned()))
        }
    }
}
