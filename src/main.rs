//! The `wagate` binary: parse, set up logs, dispatch. Everything else is in the library.

use std::process::ExitCode;

use clap::Parser as _;
use wagate::{
    app::{self, Gateway, Sandbox},
    cli::{Cli, Command},
    config::Config,
    shutdown, telemetry,
};

/// sysexits EX_CONFIG: the configuration is unusable.
const EXIT_CONFIG: u8 = 78;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    let result = match cli.command {
        Command::CheckConfig(args) => return check_config(&args.file),
        Command::Serve(args) => {
            let config = match load(&args.config) {
                Ok(config) => config,
                Err(e) => {
                    eprintln!("wagate: {}: {e}", args.config.display());
                    return ExitCode::from(EXIT_CONFIG);
                }
            };
            match Gateway::bind(config).await {
                Ok(gateway) => {
                    tracing::info!(grpc = %gateway.grpc_addr(), webhook = %gateway.webhook_addr(), "wagate serving");
                    gateway.run(shutdown::on_signal()).await
                }
                Err(e) => Err(e),
            }
        }
        Command::Sandbox(args) => match Sandbox::bind(args.options()).await {
            Ok(sandbox) => {
                println!("{}", sandbox.banner());
                sandbox.run(shutdown::on_signal()).await
            }
            Err(e) => Err(e),
        },
        Command::Emulator(args) => app::run_emulator(args.addr, args.config(), shutdown::on_signal()).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wagate: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Reads, overrides from the environment, checks and resolves a configuration.
fn load(path: &std::path::Path) -> Result<wagate::config::Resolved, wagate::config::ConfigError> {
    Config::load(path, std::env::vars())?.resolve(&|var| std::env::var(var).ok())
}

fn check_config(path: &std::path::Path) -> ExitCode {
    match load(path) {
        Ok(_) => {
            println!("{}: ok", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            for problem in e.problems() {
                println!("{}: {problem}", path.display());
            }
            ExitCode::from(EXIT_CONFIG)
        }
    }
}
