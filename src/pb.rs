//! The code generated from `proto/wagate/v1`, confined here with its lint exemptions.

#[rustfmt::skip]
#[allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]
mod generated {
    tonic::include_proto!("wagate.v1");
}

pub use generated::*;

/// The encoded descriptor set of the whole contract, served by reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("wagate_descriptor");

#[cfg(test)]
mod tests {
    use prost::Message as _;

    #[test]
    fn descriptor_set_names_the_four_services() {
        let fds = prost_types::FileDescriptorSet::decode(super::FILE_DESCRIPTOR_SET).unwrap();
        let services: Vec<_> = fds
            .file
            .iter()
            .filter(|f| f.package() == "wagate.v1")
            .flat_map(|f| f.service.iter().map(|s| s.name().to_owned()))
            .collect();
        for name in ["MessagingService", "MediaService", "TemplateService", "EventService"] {
            assert!(services.iter().any(|s| s == name), "{name} missing from {services:?}");
        }
    }
}
