//! How the emulator is configured: [`EmulatorConfig`] and its development
//! defaults. Plain data at the bottom of the emulator, read by every layer
//! above it.

use std::time::Duration;

/// How the emulator behaves. [`Default`] gives the development defaults.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// The only bearer token Graph paths accept (default `emulator-token`).
    pub access_token: String,
    /// The app secret that signs webhooks (default `emulator-app-secret`).
    pub app_secret: String,
    /// Where signed webhooks are POSTed; `None` drops them.
    pub webhook_url: Option<String>,
    /// The business phone number's id (default `113502948871204`).
    pub phone_number_id: String,
    /// The business phone number, digits only (default `15557771234`).
    pub display_phone_number: String,
    /// The WhatsApp Business Account id (default `109348720013455`).
    pub waba_id: String,
    /// Messages accepted per second per phone number before error 130429;
    /// 0 = unlimited (default 80, Meta's default throughput).
    pub throughput_per_second: u32,
    /// Delay before `sent`, then between `sent`, `delivered` and `read`
    /// (default 1 s; tests use a few milliseconds).
    pub status_interval: Duration,
    /// How long a new or edited template stays PENDING (default 2 s).
    pub template_review_delay: Duration,
    /// Free-form messages to a contact whose 24 h window is closed are
    /// accepted, then fail with a `failed` 131047 webhook (default true).
    pub enforce_window: bool,
    /// Base of media download URLs; `None` uses `http://{bound address}`.
    pub public_base_url: Option<String>,
    /// First retry delay of a failed webhook POST; it doubles up to 30 s
    /// (default 1 s).
    pub webhook_retry_initial_backoff: Duration,
    /// How long an undelivered webhook is retried before it is dropped
    /// (default 7 days, Meta's longer published horizon).
    pub webhook_retry_horizon: Duration,
    /// Write `file_size` in `GET /{media-id}` as a JSON string rather than a
    /// number (Meta's sources disagree, REFERENCE.md §3.1; default false).
    pub media_file_size_as_string: bool,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            access_token: "emulator-token".to_owned(),
            app_secret: "emulator-app-secret".to_owned(),
            webhook_url: None,
            phone_number_id: "113502948871204".to_owned(),
            display_phone_number: "15557771234".to_owned(),
            waba_id: "109348720013455".to_owned(),
            throughput_per_second: 80,
            status_interval: Duration::from_secs(1),
            template_review_delay: Duration::from_secs(2),
            enforce_window: true,
            public_base_url: None,
            webhook_retry_initial_backoff: Duration::from_secs(1),
            webhook_retry_horizon: Duration::from_secs(7 * 24 * 3600),
            media_file_size_as_string: false,
        }
    }
}
