//! The gRPC listener's accepted connections, at most `max_connections` at
//! once. Past the cap the listener stops accepting until a connection closes
//! (new clients wait in the kernel's backlog and see their connect deadline),
//! and accept errors pause instead of spinning, as on the webhook port.

use std::{
    io,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use futures_util::Stream;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::{OwnedSemaphorePermit, Semaphore},
};
use tonic::transport::server::{Connected, TcpConnectInfo};

use crate::accept_errors::AcceptErrors;

/// An accepted connection holding one place under the cap until dropped.
#[derive(Debug)]
pub(super) struct CountedStream {
    stream: TcpStream,
    _place: OwnedSemaphorePermit,
}

/// The accepted connections of `listener`, at most `max_connections` open at once.
pub(super) fn incoming(
    listener: TcpListener,
    max_connections: usize,
) -> impl Stream<Item = Result<CountedStream, io::Error>> {
    let places = Arc::new(Semaphore::new(max_connections.clamp(1, Semaphore::MAX_PERMITS)));
    let errors = AcceptErrors::new("grpc");
    futures_util::stream::unfold((listener, places, errors), |(listener, places, mut errors)| async move {
        let Ok(place) = places.clone().acquire_owned().await else { return None };
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    errors.succeeded();
                    let _ = stream.set_nodelay(true);
                    let counted = CountedStream { stream, _place: place };
                    return Some((Ok(counted), (listener, places, errors)));
                }
                Err(e) => tokio::time::sleep(errors.failed(&e)).await,
            }
        }
    })
}

impl Connected for CountedStream {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.stream.connect_info()
    }
}

impl AsyncRead for CountedStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for CountedStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
