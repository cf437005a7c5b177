//! Operator accounts: creating, removing and re-passwording them, signing in under a
//! throttle, and console sessions.

mod accounts;
mod password;
mod sessions;
mod throttle;

pub use accounts::{CreateError, OperatorEmail, change_password, create, remove};
pub use password::{OperatorPassword, is_password_of};
pub use sessions::{
    SESSION_LIFETIME, SessionToken, end_session, forget_expired_sessions, signed_in_operator,
};
pub use throttle::{SignIn, forget_idle_throttles, sign_in};
