//! `MessagingService`: validate, convert, check templates against their
//! placeholders, apply the idempotency key, send.

use sha2::{Digest as _, Sha256};
use tonic::{Request, Response, Status};

use super::{
    Shared,
    auth::Principal,
    convert::{self, Recipient},
};
use crate::{
    accounts::Account,
    error::Error,
    graph,
    pb::{self, messaging_service_server::MessagingService},
    policy::{
        idempotency::{Claim, Idempotency},
        window,
    },
};

/// The MessagingService implementation.
pub struct Messaging {
    shared: Shared,
}

impl Messaging {
    /// The service over the gateway's shared state.
    pub fn new(shared: Shared) -> Self {
        Self { shared }
    }

    async fn send(&self, principal: Principal, req: pb::SendMessageRequest) -> Result<pb::SendMessageResponse, Error> {
        let (phone_number_id, account) = self.shared.accounts.for_phone(&req.phone_number_id)?;
        principal.check_phone(phone_number_id)?;
        let outbound = convert::send_message(&req)?;
        let contact = outbound.recipient.contact_key();

        // Claim first: a retry of a send that went out replays its result
        // even if the window or the template has changed since.
        let mut guard = if req.idempotency_key.is_empty() {
            None
        } else {
            Idempotency::check_key(&req.idempotency_key)?;
            let key = format!("{}\u{1f}{phone_number_id}\u{1f}{}", principal.key_name, req.idempotency_key);
            let body = outbound.body.canonical_json().map_err(|e| Error::Internal(format!("send body: {e}")))?;
            let fingerprint = Sha256::digest(body.as_bytes()).into();
            match self.shared.idempotency.claim(key, fingerprint).await? {
                Claim::Replay(response) => return Ok(response),
                Claim::Fresh(guard) => Some(guard),
            }
        };
        // A refusal here releases the key (dropping an unsent guard does).
        self.check_window(phone_number_id, contact, &req).await?;
        self.check_template(account, &req).await?;
        // Last: a refused check must not spend the number's allowance.
        self.shared.rate_limit.acquire(phone_number_id, contact).await?;

        if let Some(guard) = guard.as_mut() {
            guard.sending();
        }
        match account.graph.send_message(phone_number_id, &outbound.body).await {
            Ok(result) => {
                let response = send_response(phone_number_id, &req.to, result);
                if let Err(e) = self.shared.windows.alias(phone_number_id, contact, &response.wa_id).await {
                    tracing::warn!(error = %e, "could not remember the contact's WhatsApp id");
                }
                if let Some(guard) = guard {
                    guard.succeed(response.clone()).await;
                }
                Ok(response)
            }
            Err(e) => {
                if let Some(guard) = guard {
                    if outcome_unknown(&e) { guard.unknown().await } else { guard.release().await }
                }
                Err(e.into())
            }
        }
    }
}

impl Messaging {
    /// Refuses a template send that Meta would refuse (unknown, not approved,
    /// or not matching its placeholders): see [`crate::policy::templates`].
    async fn check_template(&self, account: &Account, req: &pb::SendMessageRequest) -> Result<(), Error> {
        match req.content.as_ref().and_then(|c| c.kind.as_ref()) {
            Some(pb::message_content::Kind::Template(template)) => {
                self.shared.templates.check(&account.graph, &account.waba_id, template).await.map_err(Error::from)
            }
            _ => Ok(()),
        }
    }

    /// Refuses a free-form message to a contact whose 24 h window is closed,
    /// before Meta is called (and bills a failed message); `contact` is the
    /// recipient's [`Recipient::contact_key`].
    async fn check_window(
        &self,
        phone_number_id: &str,
        contact: &str,
        req: &pb::SendMessageRequest,
    ) -> Result<(), Error> {
        let free_form = req.content.as_ref().is_some_and(convert::is_free_form);
        if !self.shared.enforce_window || !free_form {
            return Ok(());
        }
        let state = self.shared.windows.get(phone_number_id, contact).await?;
        match state {
            Some(state) if state.is_open(window::now_unix()) => Ok(()),
            state => Err(Error::Precondition {
                reason: "WHATSAPP_131047",
                message: format!(
                    "the 24 h customer-service window with {} is closed ({}); send an approved template instead",
                    req.to,
                    match state {
                        Some(s) => format!("their last message was at Unix time {}", s.last_inbound),
                        None => "they have not written to this number".to_owned(),
                    }
                ),
            }),
        }
    }
}

/// Whether Meta may have accepted a send that failed on our side.
fn outcome_unknown(e: &graph::Error) -> bool {
    match e {
        graph::Error::Timeout | graph::Error::Interrupted(_) | graph::Error::Decode(_) => true,
        graph::Error::Http { status, .. } => *status >= 500,
        graph::Error::Api(api) => api.http_status >= 500,
        graph::Error::Transport(_) | graph::Error::MediaUrlRefused(_) => false,
    }
}

fn send_response(phone_number_id: &str, to: &str, result: graph::SendResult) -> pb::SendMessageResponse {
    let contact = result.contacts.into_iter().next();
    let message = result.messages.into_iter().next();
    let acceptance = match message.as_ref().and_then(|m| m.message_status.as_deref()) {
        Some("accepted") => pb::AcceptanceStatus::Accepted,
        Some("held_for_quality_assessment") => pb::AcceptanceStatus::HeldForQualityAssessment,
        Some("paused") => pb::AcceptanceStatus::Paused,
        _ => pb::AcceptanceStatus::Unspecified,
    };
    pb::SendMessageResponse {
        message_id: message.map(|m| m.id).unwrap_or_default(),
        phone_number_id: phone_number_id.to_owned(),
        input: contact.as_ref().map(|c| c.input.clone()).filter(|i| !i.is_empty()).unwrap_or_else(|| to.to_owned()),
        wa_id: contact.as_ref().and_then(|c| c.wa_id.clone()).unwrap_or_default(),
        user_id: contact.and_then(|c| c.user_id).unwrap_or_default(),
        acceptance_status: acceptance.into(),
    }
}

#[tonic::async_trait]
impl MessagingService for Messaging {
    async fn send_message(
        &self,
        request: Request<pb::SendMessageRequest>,
    ) -> Result<Response<pb::SendMessageResponse>, Status> {
        let principal = Principal::of(&request)?;
        Ok(Response::new(self.send(principal, request.into_inner()).await?))
    }

    async fn mark_read(&self, request: Request<pb::MarkReadRequest>) -> Result<Response<pb::MarkReadResponse>, Status> {
        let principal = Principal::of(&request)?;
        let req = request.into_inner();
        let (phone_number_id, account) = self.shared.accounts.for_phone(&req.phone_number_id)?;
        principal.check_phone(phone_number_id)?;
        let body = convert::mark_read_body(&req).map_err(Error::from)?;
        account.graph.mark_read(phone_number_id, &body).await.map_err(Error::from)?;
        Ok(Response::new(pb::MarkReadResponse {}))
    }

    async fn get_conversation_window(
        &self,
        request: Request<pb::GetConversationWindowRequest>,
    ) -> Result<Response<pb::GetConversationWindowResponse>, Status> {
        let principal = Principal::of(&request)?;
        let req = request.into_inner();
        let (phone_number_id, _) = self.shared.accounts.for_phone(&req.phone_number_id)?;
        principal.check_phone(phone_number_id)?;
        let contact = Recipient::parse(&req.contact).map_err(|e| Error::invalid("contact", e))?;
        let state = self.shared.windows.get(phone_number_id, contact.contact_key()).await.map_err(Error::from)?;
        let timestamp = |seconds| Some(prost_types::Timestamp { seconds, nanos: 0 });
        Ok(Response::new(match state {
            Some(s) => pb::GetConversationWindowResponse {
                open: s.is_open(window::now_unix()),
                last_inbound_at: timestamp(s.last_inbound),
                closes_at: timestamp(s.closes_at()),
            },
            None => pb::GetConversationWindowResponse { open: false, last_inbound_at: None, closes_at: None },
        }))
    }
}
