//! `EventService`: typed events from the bus, filtered by what the key may see.

use std::{collections::HashSet, pin::Pin};

use futures_util::StreamExt as _;
use tokio_stream::Stream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::{Shared, auth::Principal};
use crate::{
    accounts::Accounts,
    bus::{BusError, Filter, Start},
    error::Error,
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

/// The longest consumer group or consumer name.
const MAX_NAME_LEN: usize = 128;

/// The error of a subscription that could not start, in the request's terms.
fn subscribe_error(error: BusError, consumer_group: &str) -> Error {
    match error {
        BusError::InvalidCursor { cursor, reason } => Error::invalid(
            "after_cursor",
            format!("{} is not a cursor of this gateway's event log: {reason}", crate::violation::echo(&cursor)),
        ),
        // The bus knows the group by its key-scoped name; the client by its own.
        BusError::GroupFilterMismatch { .. } => {
            Error::Bus(BusError::GroupFilterMismatch { group: consumer_group.to_owned() })
        }
        other => Error::Bus(other),
    }
}

/// The error of an acknowledgement of `cursors`, naming the refused cursor's field.
fn ack_error(error: BusError, cursors: &[String]) -> Error {
    match error {
        BusError::InvalidCursor { cursor, reason } => {
            let field = match cursors.iter().position(|c| *c == cursor) {
                Some(i) => format!("cursors[{i}]"),
                None => "cursors".to_owned(),
            };
            Error::invalid(
                field,
                format!("{} is not a cursor of this gateway's event log: {reason}", crate::violation::echo(&cursor)),
            )
        }
        other => Error::Bus(other),
    }
}

/// The error that ends a subscription's stream.
fn stream_error(error: BusError, in_group: bool) -> Error {
    match error {
        BusError::Lagged { last_cursor } if in_group => Error::GroupHistoryLost { last_cursor },
        other => Error::Bus(other),
    }
}

/// Refuses a consumer group or consumer name that is too long or has
/// characters outside `[A-Za-z0-9._:-]` (they end up in Redis key names).
fn check_name(field: &'static str, name: &str) -> Result<(), Error> {
    let problem = if name.chars().count() > MAX_NAME_LEN {
        format!("must be at most {MAX_NAME_LEN} characters, got {}", name.chars().count())
    } else if let Some(bad) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-')))
    {
        format!("may only contain A-Z, a-z, 0-9, '.', '_', ':' and '-'; got {bad:?} in {name:?}")
    } else {
        return Ok(());
    };
    Err(Error::invalid(field, problem))
}

fn filter(accounts: &Accounts, principal: &Principal, req: &pb::SubscribeEventsRequest) -> Result<Filter, Error> {
    for id in &req.phone_number_ids {
        principal.check_phone(id)?;
    }
    let mut kinds = HashSet::new();
    for (i, kind) in req.kinds.iter().enumerate() {
        match pb::EventKind::try_from(*kind) {
            Ok(pb::EventKind::Unspecified) => {}
            Ok(kind) => {
                kinds.insert(kind);
            }
            Err(_) => {
                return Err(Error::invalid(format!("kinds[{i}]"), format!("{kind} is not an EventKind")));
            }
        }
    }
    Ok(Filter {
        allowed: principal.phone_number_ids.clone(),
        // Events without a phone number go by the accounts of the key's numbers.
        allowed_wabas: accounts.wabas_for(&principal.phone_number_ids),
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
                return Err(Error::invalid("position", format!("{p} is not a StartPosition")));
            }
        },
        Some(S::AfterCursor(cursor)) if cursor.is_empty() => {
            return Err(Error::invalid("after_cursor", "must not be empty when set"));
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
        check_name("consumer_group", &req.consumer_group)?;
        check_name("consumer_name", &req.consumer_name)?;
        let filter = filter(&self.shared.accounts, &principal, &req)?;
        let start = start(&req)?;
        let bus = &self.shared.bus;
        let in_group = !req.consumer_group.is_empty();
        let subscription = if in_group {
            // Groups are the key's own: another key's same-named group is another group.
            let group = format!("{}/{}", principal.key_name, req.consumer_group);
            let consumer = Some(req.consumer_name.as_str()).filter(|name| !name.is_empty());
            bus.subscribe_group(&group, consumer, start, filter).await
        } else {
            bus.subscribe(start, filter).await
        };
        let subscription = subscription.map_err(|e| subscribe_error(e, &req.consumer_group))?;
        let stream = subscription
            .map(move |item| match item {
                Ok(event) => Ok(pb::SubscribeEventsResponse { event: Some(event) }),
                Err(e) => Err(Status::from(stream_error(e, in_group))),
            })
            // Open streams would otherwise hold the server's graceful shutdown;
            // they end with UNAVAILABLE, so clients reconnect with their cursor.
            .take_until(self.shutdown.clone().cancelled_owned())
            .chain(tokio_stream::once(()).filter_map({
                let shutdown = self.shutdown.clone();
                move |()| std::future::ready(shutdown.is_cancelled().then(|| Err(Status::from(Error::shutting_down()))))
            }));
        Ok(Response::new(Box::pin(stream)))
    }

    async fn ack_events(
        &self,
        request: Request<pb::AckEventsRequest>,
    ) -> Result<Response<pb::AckEventsResponse>, Status> {
        let principal = Principal::of(&request)?;
        let req = request.into_inner();
        if req.consumer_group.is_empty() {
            return Err(
                Error::invalid("consumer_group", "required: acknowledgements belong to a consumer group").into()
            );
        }
        check_name("consumer_group", &req.consumer_group)?;
        let group = format!("{}/{}", principal.key_name, req.consumer_group);
        let acknowledged = self.shared.bus.ack(&group, &req.cursors).await.map_err(|e| ack_error(e, &req.cursors))?;
        Ok(Response::new(pb::AckEventsResponse { acknowledged }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_types::StatusExt as _;

    fn fields(error: Error) -> Vec<String> {
        match error {
            Error::Invalid(violations) => violations.into_iter().map(|v| v.field).collect(),
            other => panic!("not Invalid: {other:?}"),
        }
    }

    #[test]
    fn a_bad_cursor_is_reported_under_the_field_it_came_from() {
        let bad = || BusError::invalid_cursor("nope", "not a cursor");
        assert_eq!(fields(subscribe_error(bad(), "")), ["after_cursor"]);
        let cursors = ["1-1".to_owned(), "nope".to_owned()];
        assert_eq!(fields(ack_error(bad(), &cursors)), ["cursors[1]"]);
        assert_eq!(fields(ack_error(bad(), &[])), ["cursors"]);
    }

    #[test]
    fn a_group_filter_mismatch_is_a_failed_precondition_naming_the_group() {
        let error = subscribe_error(BusError::GroupFilterMismatch { group: "key/billing".into() }, "billing");
        let status = Status::from(error);
        assert_eq!(status.code(), tonic::Code::FailedPrecondition);
        assert_eq!(status.get_details_error_info().expect("ErrorInfo").reason, "CONSUMER_GROUP_FILTER_MISMATCH");
        assert!(status.message().contains("\"billing\"") && !status.message().contains("key/"), "{}", status.message());
    }

    #[test]
    fn a_lagging_subscriber_learns_where_to_resume() {
        let lagged = || BusError::Lagged { last_cursor: "7-0".into() };
        for in_group in [false, true] {
            let status = Status::from(stream_error(lagged(), in_group));
            assert_eq!(status.code(), tonic::Code::ResourceExhausted);
            let info = status.get_details_error_info().expect("ErrorInfo");
            assert_eq!((info.reason.as_str(), info.metadata["last_cursor"].as_str()), ("SUBSCRIBER_LAGGED", "7-0"));
            assert_eq!(status.message().contains("consumer group"), in_group, "{}", status.message());
        }
    }

    #[test]
    fn names_are_short_and_plain() {
        for good in ["", "billing", "orders.v1:eu-west_1", &"x".repeat(MAX_NAME_LEN)] {
            assert!(check_name("consumer_group", good).is_ok(), "{good:?}");
        }
        for bad in ["a b", "a/b", "é", "a\n", &"x".repeat(MAX_NAME_LEN + 1)] {
            assert_eq!(fields(check_name("consumer_name", bad).unwrap_err()), ["consumer_name"], "{bad:?}");
        }
    }
}
