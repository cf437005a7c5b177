//! The Zoom meeting an application asks for with an event, and how the API
//! shows that request back.

use serde::Deserialize;
use serde_json::{Value, json};

use super::Errors;
use crate::domain::{EmailAddress, FieldError};

/// The request's `conferencing` object.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConferencingInput {
    pub provider: String,
    pub settings: Option<SettingsInput>,
    pub schedule_for: Option<String>,
}

/// The request's `conferencing.settings`; a field left out is Zoom's (or the
/// host's account) default.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    pub waiting_room: Option<bool>,
    pub join_before_host: Option<bool>,
    pub mute_upon_entry: Option<bool>,
    pub auto_recording: Option<String>,
    pub passcode: Option<String>,
}

/// A Zoom meeting for the event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conferencing {
    settings: Settings,
    schedule_for: Option<EmailAddress>,
}

/// Meeting settings; `None` leaves a setting to Zoom.
///
/// Never both a waiting room and joining before the host: Zoom turns the
/// latter off when the former is on, so asking for both is refused rather
/// than shown back as something the meeting does not do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    waiting_room: Option<bool>,
    join_before_host: Option<bool>,
    mute_upon_entry: Option<bool>,
    auto_recording: Option<AutoRecording>,
    passcode: Option<ZoomPasscode>,
}

/// Where Zoom records the meeting automatically.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AutoRecording {
    Local,
    Cloud,
    None,
}

/// A meeting passcode Zoom accepts: 1 to 10 of `A-Z a-z 0-9 @ - _ *`.
///
/// The host's account may demand more (a minimum length, letters and
/// digits); only Zoom knows, and its refusal fails the meeting, not the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoomPasscode(String);

impl ConferencingInput {
    pub(super) fn parse(self) -> Result<Conferencing, Vec<FieldError>> {
        let mut errors = Errors::default();
        if self.provider != "zoom" {
            errors.push(FieldError::new("conferencing.provider", "must be \"zoom\""));
        }
        let settings = errors.check_all(self.settings.unwrap_or_default().parse());
        let schedule_for = match self.schedule_for {
            Some(raw) => errors
                .check(EmailAddress::parse(&raw, "conferencing.schedule_for"))
                .map(Some),
            None => Some(None),
        };
        let conferencing =
            settings
                .zip(schedule_for)
                .map(|(settings, schedule_for)| Conferencing {
                    settings,
                    schedule_for,
                });
        errors.finish(conferencing)
    }
}

impl SettingsInput {
    fn parse(self) -> Result<Settings, Vec<FieldError>> {
        let mut errors = Errors::default();
        if self.waiting_room == Some(true) && self.join_before_host == Some(true) {
            errors.push(FieldError::new(
                "conferencing.settings.join_before_host",
                "cannot be on with the waiting room: Zoom turns it off",
            ));
        }
        let auto_recording = match self.auto_recording {
            Some(raw) => errors.check(AutoRecording::parse(&raw)).map(Some),
            None => Some(None),
        };
        let passcode = match self.passcode {
            Some(raw) => errors.check(ZoomPasscode::parse(raw)).map(Some),
            None => Some(None),
        };
        let settings = auto_recording
            .zip(passcode)
            .map(|(auto_recording, passcode)| Settings {
                waiting_room: self.waiting_room,
                join_before_host: self.join_before_host,
                mute_upon_entry: self.mute_upon_entry,
                auto_recording,
                passcode,
            });
        errors.finish(settings)
    }
}

impl Conferencing {
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The Zoom user (by email) the meeting is scheduled for, through the
    /// host's scheduling privilege.
    pub fn schedule_for(&self) -> Option<&EmailAddress> {
        self.schedule_for.as_ref()
    }

    /// The request in its own shape, every field present.
    pub(super) fn to_json(&self) -> Value {
        let settings = &self.settings;
        json!({
            "provider": "zoom",
            "settings": {
                "waiting_room": settings.waiting_room,
                "join_before_host": settings.join_before_host,
                "mute_upon_entry": settings.mute_upon_entry,
                "auto_recording": settings.auto_recording.map(AutoRecording::as_str),
                "passcode": settings.passcode.as_ref().map(ZoomPasscode::as_str),
            },
            "schedule_for": self.schedule_for.as_ref().map(EmailAddress::as_str),
        })
    }
}

impl Settings {
    pub fn waiting_room(&self) -> Option<bool> {
        self.waiting_room
    }

    pub fn join_before_host(&self) -> Option<bool> {
        self.join_before_host
    }

    pub fn mute_upon_entry(&self) -> Option<bool> {
        self.mute_upon_entry
    }

    pub fn auto_recording(&self) -> Option<AutoRecording> {
        self.auto_recording
    }

    pub fn passcode(&self) -> Option<&ZoomPasscode> {
        self.passcode.as_ref()
    }
}

impl AutoRecording {
    fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw {
            "local" => Ok(Self::Local),
            "cloud" => Ok(Self::Cloud),
            "none" => Ok(Self::None),
            _ => Err(FieldError::new(
                "conferencing.settings.auto_recording",
                "must be local, cloud or none",
            )),
        }
    }

    /// Zoom's name, which is also the request's.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Cloud => "cloud",
            Self::None => "none",
        }
    }
}

impl ZoomPasscode {
    pub fn parse(raw: String) -> Result<Self, FieldError> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '@' | '-' | '_' | '*');
        if raw.is_empty() || raw.chars().count() > 10 || !raw.chars().all(allowed) {
            return Err(FieldError::new(
                "conferencing.settings.passcode",
                "must be 1 to 10 characters, each a letter, a digit, @, -, _ or *",
            ));
        }
        Ok(Self(raw))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: Value) -> Result<Conferencing, Vec<FieldError>> {
        serde_json::from_value::<ConferencingInput>(json)
            .unwrap()
            .parse()
    }

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|error| error.field).collect()
    }

    #[test]
    fn passcodes_are_what_zoom_accepts() {
        for good in ["a", "A1b2C3", "0123456789", "@-_*xyz", "aaaaaaaaaa"] {
            assert_eq!(ZoomPasscode::parse(good.to_owned()).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "12345678901",
            "pass word",
            "pass!",
            "päss",
            "pass#",
            "٣٣٣",
        ] {
            let error = ZoomPasscode::parse(bad.to_owned()).unwrap_err();
            assert_eq!(error.field, "conferencing.settings.passcode", "{bad}");
        }
    }

    #[test]
    fn a_full_request_parses_and_shows_back_in_its_shape() {
        let json = json!({"provider": "zoom",
                          "settings": {"waiting_room": true, "join_before_host": false, "mute_upon_entry": true,
                                       "auto_recording": "cloud", "passcode": "a1b2c3"},
                          "schedule_for": "boss@example.org"});
        let conferencing = parse(json.clone()).unwrap();
        assert_eq!(
            conferencing.settings().auto_recording(),
            Some(AutoRecording::Cloud)
        );
        assert_eq!(conferencing.to_json(), json);
    }

    #[test]
    fn settings_left_out_are_left_to_zoom() {
        let conferencing = parse(json!({"provider": "zoom"})).unwrap();
        assert_eq!(conferencing.settings(), &Settings::default());
        assert_eq!(conferencing.schedule_for(), None);
        assert_eq!(
            conferencing.to_json(),
            json!({"provider": "zoom",
                   "settings": {"waiting_room": null, "join_before_host": null, "mute_upon_entry": null,
                                "auto_recording": null, "passcode": null},
                   "schedule_for": null})
        );
    }

    #[test]
    fn every_bad_conferencing_field_is_named() {
        let errors = parse(json!({"provider": "teams",
                                  "settings": {"auto_recording": "always", "passcode": "too long passcode"},
                                  "schedule_for": "someone"}))
        .unwrap_err();
        assert_eq!(
            fields(errors),
            [
                "conferencing.provider",
                "conferencing.settings.auto_recording",
                "conferencing.settings.passcode",
                "conferencing.schedule_for",
            ]
        );
    }

    #[test]
    fn joining_before_the_host_cannot_be_asked_for_with_a_waiting_room() {
        let errors = parse(json!({"provider": "zoom", "settings": {"waiting_room": true, "join_before_host": true}}))
            .unwrap_err();
        assert_eq!(fields(errors), ["conferencing.settings.join_before_host"]);
        assert!(parse(json!({"provider": "zoom", "settings": {"waiting_room": false, "join_before_host": true}})).is_ok());
    }

    #[test]
    fn unknown_settings_are_not_accepted() {
        let body = json!({"provider": "zoom", "settings": {"host_video": true}});
        assert!(serde_json::from_value::<ConferencingInput>(body).is_err());
    }
}
