//! Compiles the contract in `proto/` with protox (pure Rust, no `protoc`) and
//! generates the tonic services and prost messages from it.

use std::{env, fs, path::PathBuf};

use prost::Message as _;

const PROTOS: &[&str] = &[
    "wagate/v1/message.proto",
    "wagate/v1/messaging_service.proto",
    "wagate/v1/media_service.proto",
    "wagate/v1/template.proto",
    "wagate/v1/template_service.proto",
    "wagate/v1/event.proto",
    "wagate/v1/event_service.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let fds = protox::compile(PROTOS, ["proto"])?;
    fs::write(out_dir.join("wagate_descriptor.bin"), fds.encode_to_vec())?;
    tonic_prost_build::configure().build_client(true).build_server(true).compile_fds(fds)?;
    Ok(())
}
