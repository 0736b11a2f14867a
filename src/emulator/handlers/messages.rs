//! `POST /{phone_number_id}/messages`: sends and mark-read requests.
//!
//! A send is validated, checked against the store (media ids, the template,
//! the throughput limit), logged, answered with its wamid, and its statuses
//! are planned onto the webhook queue.

use std::{sync::Arc, time::Instant};

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use serde_json::Value;

use crate::emulator::{
    control::SentMessage,
    errors::GraphError,
    extract::{Id, JsonBody},
    ids::{Direction, wamid},
    media,
    state::Shared,
    templates::send::check_send,
    validate::{self, MarkRead, Recipient, Request as MessageRequest},
    webhooks::{self, Item, Outcome},
    wire::{self, SendContact, SendMessageId, SendResponse},
};

/// `POST /{phone_number_id}/messages`, for the emulated number only.
pub(crate) async fn send_message(State(shared): State<Arc<Shared>>, Id(id): Id, JsonBody(body): JsonBody) -> Response {
    if !shared.is_phone_number(&id) {
        return GraphError::unknown_object("post", &id).into_response();
    }
    accept(&shared, &id, body).unwrap_or_else(IntoResponse::into_response)
}

/// Validates and accepts one `/messages` body, then plans its statuses.
fn accept(shared: &Shared, phone_number_id: &str, body: Value) -> Result<Response, GraphError> {
    let send = match validate::message_request(&body)? {
        MessageRequest::MarkRead(m) => return mark_read(shared, phone_number_id, &m, body),
        MessageRequest::Send(send) => send,
    };
    let (contact, input, group) = match &send.recipient {
        Recipient::Phone { input, wa_id } => (wa_id.clone(), input.clone(), false),
        Recipient::User { input, user_id } => (user_id.clone(), input.clone(), false),
        Recipient::Group { id } => (id.clone(), id.clone(), true),
    };
    if !group && contact == shared.config.display_phone_number {
        return Err(GraphError::recipient_is_sender());
    }

    let now = Instant::now();
    let mut inner = shared.lock();
    for r in &send.media {
        media::check_ref(&inner.media, phone_number_id, r)?;
    }
    let template_category = match &send.template {
        Some(t) => Some(check_send(&inner.templates, t)?),
        None => None,
    };
    if !inner.take_throughput(phone_number_id, shared.config.throughput_per_second, now) {
        return Err(GraphError::throughput());
    }
    let message_id = wamid(&contact, Direction::Outbound);
    inner.log_sent(SentMessage { phone_number_id: phone_number_id.to_owned(), message_id: message_id.clone(), body });
    let window_open = inner.window_open(phone_number_id, &contact, now);
    let read_receipts = inner.read_receipts(&contact);
    drop(inner);

    // Reactions get no statuses.
    if send.kind != "reaction" {
        let outcome = Outcome {
            wamid: message_id.clone(),
            recipient_id: match &send.recipient {
                Recipient::User { .. } => None,
                _ => Some(contact.clone()),
            },
            recipient_user_id: match &send.recipient {
                Recipient::User { user_id, .. } => Some(user_id.clone()),
                _ => None,
            },
            group,
            biz_opaque_callback_data: send.biz_opaque_callback_data.clone(),
            template_category: template_category.clone(),
            window_open,
            read_receipts,
            voice: send.voice,
        };
        let plan = webhooks::plan_statuses(&outcome, shared.config.status_interval, shared.config.enforce_window);
        shared.webhooks.enqueue_all(plan.into_iter().map(|(delay, status)| {
            (now + delay, Item::Status { phone_number_id: phone_number_id.to_owned(), status })
        }));
    }

    let contact = match send.recipient {
        Recipient::Phone { input, wa_id } => SendContact { input, wa_id: Some(wa_id), user_id: None },
        Recipient::User { input, user_id } => SendContact { input, wa_id: None, user_id: Some(user_id) },
        Recipient::Group { .. } => SendContact { input, wa_id: None, user_id: None },
    };
    Ok(wire::ok(&SendResponse {
        messaging_product: "whatsapp",
        contacts: vec![contact],
        messages: vec![SendMessageId {
            id: message_id,
            message_status: template_category.is_some().then_some("accepted"),
        }],
    }))
}

/// Mark-read: the id must be an inbound message to this number.
fn mark_read(shared: &Shared, phone_number_id: &str, m: &MarkRead, body: Value) -> Result<Response, GraphError> {
    let mut inner = shared.lock();
    if inner.inbound.get(&m.message_id).is_none_or(|(to, _)| to != phone_number_id) {
        return Err(GraphError::invalid_param(format!(
            "Param message_id ({}) is not an inbound message to this phone number.",
            m.message_id
        )));
    }
    inner.log_sent(SentMessage { phone_number_id: phone_number_id.to_owned(), message_id: String::new(), body });
    Ok(wire::success())
}
