//! `EventService`: typed events from the bus, filtered by what the key may see.

use std::{collections::HashMap, pin::Pin};

use futures_util::StreamExt as _;
use tokio_stream::Stream;
use tokio_util::sync::CancellationToken;
use tonic::{Code, Request, Response, Status};
use tonic_types::{ErrorDetails, StatusExt as _};

use super::{Shared, auth::Principal};
use crate::{
    bus::{BusError, Filter, Start},
    error::{Error, FieldViolation, WAGATE_DOMAIN},
    pb::{self, event_service_server::EventService, subscribe_events_request},
};

/// The stream of a subscription.
pub type EventStream = Pin<Box<dyn Stream<Item = Result<pb::SubscribeEventsResponse, Status>> + Send + 'static>>;

/// The EventService implementation.
pub struct Events {
    shared: Shared,
    shutdown: CancellationToken,
}

impl Events {
    /// The service; its streams end when `shutdown` is cancelled.
    pub fn new(shared: Shared, shutdown: CancellationToken) -> Self {
        Self { shared, shutdown }
    }
}

impl From<BusError> for Error {
    fn from(e: BusError) -> Self {
        match e {
            BusError::InvalidCursor(cursor) => Error::Invalid(vec![FieldViolation::new(
                "after_cursor",
                format!("{cursor:?} is not a cursor of this gateway's event log"),
            )]),
            BusError::Unavailable(m) => Error::Unavailable(m),
            BusError::Lagged { last_cursor } => Error::Internal(format!("unexpected lag at {last_cursor}")),
        }
    }
}

/// The status that ends a lagging subscriber's stream: it says where to resume.
fn lagged(last_cursor: String) -> Status {
    let message = format!(
        "the subscriber fell too far behind and was cut off; subscribe again with after_cursor {last_cursor:?}"
    );
    let metadata = HashMap::from([("last_cursor".to_owned(), last_cursor)]);
    let details = ErrorDetails::with_error_info("SUBSCRIBER_LAGGED", WAGATE_DOMAIN, metadata);
    Status::with_error_details(Code::ResourceExhausted, message, details)
}

fn filter(principal: &Principal, req: &pb::SubscribeEventsRequest) -> Result<Filter, Error> {
    for id in &req.phone_number_ids {
        principal.check_phone(id)?;
    }
    let mut kinds = std::collections::HashSet::new();
    for (i, kind) in req.kinds.iter().enumerate() {
        match pb::EventKind::try_from(*kind) {
            Ok(pb::EventKind::Unspecified) => {}
            Ok(kind) => {
                kinds.insert(kind);
            }
            Err(_) => {
                return Err(Error::Invalid(vec![FieldViolation::new(
                    format!("kinds[{i}]"),
                    format!("{kind} is not an EventKind"),
                )]));
            }
        }
    }
    Ok(Filter {
        allowed: principal.phone_number_ids.clone(),
        phone_number_ids: req.phone_number_ids.iter().cloned().collect(),
        kinds,
        contacts: req.contacts.iter().cloned().collect(),
    })
}

fn start(req: &pb::SubscribeEventsRequest) -> Result<Start, Error> {
    use subscribe_events_request::Start as S;
    Ok(match &req.start {
        None => Start::Newest,
        Some(S::Position(p)) => match pb::StartPosition::try_from(*p) {
            Ok(pb::StartPosition::Oldest) => Start::Oldest,
            Ok(pb::StartPosition::Newest | pb::StartPosition::Unspecified) => Start::Newest,
            Err(_) => {
                return Err(Error::Invalid(vec![FieldViolation::new(
                    "position",
                    format!("{p} is not a StartPosition"),
                )]));
            }
        },
        Some(S::AfterCursor(cursor)) if cursor.is_empty() => {
            return Err(Error::Invalid(vec![FieldViolation::new("after_cursor", "must not be empty when set")]));
        }
        Some(S::AfterCursor(cursor)) => Start::After(cursor.clone()),
    })
}

#[tonic::async_trait]
impl EventService for Events {
    type SubscribeEventsStream = EventStream;

    async fn subscribe_events(
        &self,
        request: Request<pb::SubscribeEventsRequest>,
    ) -> Result<Response<Self::SubscribeEventsStream>, Status> {
        let principal = Principal::of(&request)?;
        let req = request.into_inner();
        let filter = filter(&principal, &req)?;
        let start = start(&req)?;
        let bus = &self.shared.bus;
        let subscription = if req.consumer_group.is_empty() {
            bus.subscribe(start, filter).await.map_err(Error::from)?
        } else {
            let group = format!("{}/{}", principal.key_name, req.consumer_group);
            let consumer = if req.consumer_name.is_empty() {
                format!("c-{:016x}", rand::random::<u64>())
            } else {
                req.consumer_name.clone()
            };
            bus.subscribe_group(&group, &consumer, start, filter).await.map_err(Error::from)?
        };
        let stream = subscription
            .map(|item| match item {
                Ok(event) => Ok(pb::SubscribeEventsResponse { event: Some(event) }),
                Err(BusError::Lagged { last_cursor }) => Err(lagged(last_cursor)),
                Err(e) => Err(Status::from(Error::from(e))),
            })
            // Open streams would otherwise hold the server's graceful shutdown.
            .take_until(self.shutdown.clone().cancelled_owned());
        Ok(Response::new(Box::pin(stream)))
    }

    async fn ack_events(
        &self,
        request: Request<pb::AckEventsRequest>,
    ) -> Result<Response<pb::AckEventsResponse>, Status> {
        let principal = Principal::of(&request)?;
        let req = request.into_inner();
        if req.consumer_group.is_empty() {
            return Err(Error::Invalid(vec![FieldViolation::new(
                "consumer_group",
                "required: acknowledgements belong to a consumer group",
            )])
            .into());
        }
        let group = format!("{}/{}", principal.key_name, req.consumer_group);
        let acknowledged = self.shared.bus.ack(&group, &req.cursors).await.map_err(Error::from)?;
        Ok(Response::new(pb::AckEventsResponse { acknowledged }))
    }
}
