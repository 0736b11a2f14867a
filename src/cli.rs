//! The command line: `serve`, `sandbox`, `emulator` and `check-config`.
//! Every flag can also be set by the environment variable shown in `--help`.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::{app::SandboxOptions, emulator::EmulatorConfig, telemetry::LogFormat};

/// wagate: a gRPC gateway over the WhatsApp Business Cloud API.
#[derive(Debug, Parser)]
#[command(name = "wagate", version, about)]
pub struct Cli {
    /// Log format.
    #[arg(long, global = true, env = "WAGATE_LOG_FORMAT", value_enum, default_value_t)]
    pub log_format: LogFormat,
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway in production, from a configuration file.
    Serve(ServeArgs),
    /// Run the gateway, an in-memory event bus and the Cloud API emulator in one
    /// process: no credentials, no Redis.
    Sandbox(SandboxArgs),
    /// Run the Cloud API emulator alone.
    Emulator(EmulatorArgs),
    /// Check a configuration file and print each problem with its key.
    CheckConfig(CheckConfigArgs),
}

/// `wagate serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The TOML configuration file. Keys can be overridden by
    /// WAGATE_<SECTION>__<KEY> variables, e.g. WAGATE_SERVER__GRPC_ADDR.
    #[arg(long, env = "WAGATE_CONFIG", default_value = "wagate.toml")]
    pub config: PathBuf,
}

/// `wagate check-config`
#[derive(Debug, Args)]
pub struct CheckConfigArgs {
    /// The TOML configuration file to check.
    pub file: PathBuf,
}

/// `wagate sandbox`
#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Where the gRPC server listens.
    #[arg(long, env = "WAGATE_GRPC_ADDR", default_value = "127.0.0.1:50051")]
    pub grpc_addr: SocketAddr,
    /// Where the webhook listener listens (the emulator posts to it).
    #[arg(long, env = "WAGATE_WEBHOOK_ADDR", default_value = "127.0.0.1:8080")]
    pub webhook_addr: SocketAddr,
    /// Where the Cloud API emulator listens.
    #[arg(long, env = "WAGATE_EMULATOR_ADDR", default_value = "127.0.0.1:8081")]
    pub emulator_addr: SocketAddr,
    /// The webhook verify token.
    #[arg(long, env = "WAGATE_VERIFY_TOKEN", default_value = "sandbox-verify-token")]
    pub verify_token: String,
    /// The app secret that signs the emulator's webhooks.
    #[arg(long, env = "WAGATE_APP_SECRET", default_value = "sandbox-app-secret")]
    pub app_secret: String,
    /// The API key clients use (`authorization: Bearer <key>`).
    #[arg(long, env = "WAGATE_API_KEY", default_value = "sandbox-api-key")]
    pub api_key: String,
    /// Delay between a message's sent, delivered and read statuses, in milliseconds.
    #[arg(long, env = "WAGATE_STATUS_INTERVAL_MS", default_value_t = 500)]
    pub status_interval_ms: u64,
}

impl SandboxArgs {
    /// The options the sandbox runs with.
    pub fn options(&self) -> SandboxOptions {
        SandboxOptions {
            grpc_addr: self.grpc_addr,
            webhook_addr: self.webhook_addr,
            emulator_addr: self.emulator_addr,
            verify_token: self.verify_token.clone(),
            app_secret: self.app_secret.clone(),
            api_key: self.api_key.clone(),
            status_interval: std::time::Duration::from_millis(self.status_interval_ms),
        }
    }
}

/// `wagate emulator`
#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Where the emulator listens.
    #[arg(long, env = "WAGATE_EMULATOR_ADDR", default_value = "127.0.0.1:8081")]
    pub addr: SocketAddr,
    /// The access token callers must present.
    #[arg(long, env = "WAGATE_EMULATOR_ACCESS_TOKEN", default_value = "emulator-token")]
    pub access_token: String,
    /// The app secret that signs webhooks.
    #[arg(long, env = "WAGATE_EMULATOR_APP_SECRET", default_value = "emulator-app-secret")]
    pub app_secret: String,
    /// Where webhooks are posted; none are posted when unset.
    #[arg(long, env = "WAGATE_EMULATOR_WEBHOOK_URL")]
    pub webhook_url: Option<String>,
    /// The phone number id it serves.
    #[arg(long, env = "WAGATE_EMULATOR_PHONE_NUMBER_ID", default_value = "113502948871204")]
    pub phone_number_id: String,
    /// The WhatsApp Business Account id it serves.
    #[arg(long, env = "WAGATE_EMULATOR_WABA_ID", default_value = "109348720013455")]
    pub waba_id: String,
    /// Messages per second per phone number before error 130429; 0 is unlimited.
    #[arg(long, env = "WAGATE_EMULATOR_THROUGHPUT", default_value_t = 80)]
    pub throughput: u32,
    /// Delay between a message's sent, delivered and read statuses, in milliseconds.
    #[arg(long, env = "WAGATE_EMULATOR_STATUS_INTERVAL_MS", default_value_t = 1000)]
    pub status_interval_ms: u64,
}

impl EmulatorArgs {
    /// The emulator's configuration.
    pub fn config(&self) -> EmulatorConfig {
        EmulatorConfig {
            access_token: self.access_token.clone(),
            app_secret: self.app_secret.clone(),
            webhook_url: self.webhook_url.clone(),
            phone_number_id: self.phone_number_id.clone(),
            waba_id: self.waba_id.clone(),
            throughput_per_second: self.throughput,
            status_interval: std::time::Duration::from_millis(self.status_interval_ms),
            ..EmulatorConfig::default()
        }
    }
}
