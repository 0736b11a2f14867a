//! A default deadline for unary calls that carry none (`grpc-timeout`), so a
//! client that forgets one cannot hold a call, and what it holds, forever.
//! Streaming calls (event subscriptions, media transfers, health watches,
//! reflection) are meant to last and are left alone.

use std::{
    task::{Context, Poll},
    time::Duration,
};

use futures_util::future::BoxFuture;
use tonic::Status;
use tower::{Layer, Service};

use crate::error::Error;

/// The methods that stream; every other method is unary.
pub(super) const STREAMING_METHODS: [&str; 6] = [
    "/wagate.v1.EventService/SubscribeEvents",
    "/wagate.v1.MediaService/UploadMedia",
    "/wagate.v1.MediaService/DownloadMedia",
    "/grpc.health.v1.Health/Watch",
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
];

/// Applies [`DefaultDeadline`] to a service.
#[derive(Debug, Clone, Copy)]
pub(super) struct DefaultDeadlineLayer {
    /// The deadline of unary calls without one.
    pub(super) deadline: Duration,
}

impl<S> Layer<S> for DefaultDeadlineLayer {
    type Service = DefaultDeadline<S>;

    fn layer(&self, inner: S) -> Self::Service {
        DefaultDeadline { inner, deadline: self.deadline }
    }
}

/// Ends a unary call without `grpc-timeout` with DEADLINE_EXCEEDED after the default.
#[derive(Debug, Clone)]
pub(super) struct DefaultDeadline<S> {
    inner: S,
    deadline: Duration,
}

impl<S, B, R> Service<http::Request<B>> for DefaultDeadline<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
    R: Default + Send + 'static,
{
    type Response = http::Response<R>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let applies =
            !request.headers().contains_key("grpc-timeout") && !STREAMING_METHODS.contains(&request.uri().path());
        let deadline = self.deadline;
        let call = self.inner.call(request);
        Box::pin(async move {
            if !applies {
                return call.await;
            }
            match tokio::time::timeout(deadline, call).await {
                Ok(answer) => answer,
                Err(_) => Ok(Status::from(Error::DeadlineExceeded(format!(
                    "the call took longer than the default deadline of {deadline:?} \
                     (server.default_unary_deadline_secs); set a deadline of your own to wait longer"
                )))
                .into_http()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use prost::Message as _;

    use super::*;

    /// Every streaming method of every service served is in the list, so a new
    /// one cannot be cut off by the unary deadline.
    #[test]
    fn the_streaming_list_matches_the_contract() {
        let mut found = Vec::new();
        for set in [crate::pb::FILE_DESCRIPTOR_SET, tonic_health::pb::FILE_DESCRIPTOR_SET] {
            let set = prost_types::FileDescriptorSet::decode(set).unwrap();
            for file in set.file {
                for service in &file.service {
                    for method in &service.method {
                        if method.client_streaming() || method.server_streaming() {
                            found.push(format!("/{}.{}/{}", file.package(), service.name(), method.name()));
                        }
                    }
                }
            }
        }
        assert!(!found.is_empty());
        for method in &found {
            assert!(STREAMING_METHODS.contains(&method.as_str()), "{method} streams but is not in STREAMING_METHODS");
        }
    }
}
