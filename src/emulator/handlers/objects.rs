//! `/{id}` and `/{waba_id}/phone_numbers`: a Graph object by its id, which
//! may be the phone number, the business account, a media object or a
//! template; anything else is Graph's unknown-object error.

use std::sync::Arc;

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use http::Uri;
use serde_json::{Value, json};

use super::{media, templates};
use crate::emulator::{
    errors::GraphError,
    extract::{Id, JsonBody, query_map},
    state::Shared,
    wire,
};

/// `GET /{id}`: the phone number, the business account, a media object or a
/// template.
pub(crate) async fn get_object(State(shared): State<Arc<Shared>>, Id(id): Id, uri: Uri) -> Response {
    let query = query_map(&uri);
    if shared.is_phone_number(&id) {
        return wire::ok(&phone_number(&shared));
    }
    if id == shared.config.waba_id {
        return wire::ok(&json!({
            "id": id,
            "name": "Emulated Business Account",
            "currency": "USD",
            "timezone_id": "1",
            "message_template_namespace": "emulator_namespace",
        }));
    }
    if let Some(result) = media::get(&shared, &id, &query) {
        return result.unwrap_or_else(IntoResponse::into_response);
    }
    templates::get(&shared, &id, &query).unwrap_or_else(|| GraphError::unknown_object("get", &id).into_response())
}

/// The emulated business phone number, as Graph describes it.
fn phone_number(shared: &Shared) -> Value {
    json!({
        "verified_name": "Emulated Business",
        "code_verification_status": "VERIFIED",
        "display_phone_number": format!("+{}", shared.config.display_phone_number),
        "quality_rating": "GREEN",
        "platform_type": "CLOUD_API",
        "throughput": {"level": "STANDARD"},
        "id": shared.config.phone_number_id,
    })
}

/// `POST /{id}`: only templates can be edited this way.
pub(crate) async fn post_object(State(shared): State<Arc<Shared>>, Id(id): Id, JsonBody(body): JsonBody) -> Response {
    templates::edit(&shared, &id, &body)
        .unwrap_or_else(|| Err(GraphError::unknown_object("post", &id)))
        .unwrap_or_else(IntoResponse::into_response)
}

/// `DELETE /{id}`: only media objects can be deleted this way.
pub(crate) async fn delete_object(State(shared): State<Arc<Shared>>, Id(id): Id, uri: Uri) -> Response {
    media::delete(&shared, &id, &query_map(&uri))
        .unwrap_or_else(|| Err(GraphError::unknown_object("delete", &id)))
        .unwrap_or_else(IntoResponse::into_response)
}

/// `GET /{waba_id}/phone_numbers`: the one emulated number.
pub(crate) async fn phone_numbers(State(shared): State<Arc<Shared>>, Id(id): Id) -> Response {
    if id != shared.config.waba_id {
        return GraphError::unknown_object("get", &id).into_response();
    }
    wire::ok(&json!({"data": [phone_number(&shared)]}))
}
