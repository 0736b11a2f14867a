//! Media over HTTP: upload with type and size limits, lookup, signed
//! download URLs, sending by id, and delete.

use http::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use super::harness::{TOKEN, error_code, start};
use crate::support::{CONTACT, PHONE};

#[tokio::test]
async fn media_upload_lookup_download_and_delete() {
    let h = start(|_| {}).await;
    let upload = |mime: &'static str, bytes: Vec<u8>| {
        Form::new()
            .text("messaging_product", "whatsapp")
            .part("file", Part::bytes(bytes).file_name("photo").mime_str(mime).expect("mime"))
    };
    let url = format!("{}/v25.0/{PHONE}/media", h.base);
    let response =
        h.http.post(&url).bearer_auth(TOKEN).multipart(upload("image/jpeg", b"\xff\xd8jpeg".to_vec())).send().await;
    let uploaded: Value = response.expect("upload").json().await.expect("json");
    let id = uploaded["id"].as_str().expect("id").to_owned();

    let response = h.http.post(&url).bearer_auth(TOKEN).multipart(upload("text/html", b"<html>".to_vec())).send().await;
    let response = response.expect("upload");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let v: Value = response.json().await.expect("json");
    assert_eq!(v["error"]["code"], 131053);

    let big = vec![0u8; 5 * 1024 * 1024 + 1];
    let response = h.http.post(&url).bearer_auth(TOKEN).multipart(upload("image/png", big)).send().await;
    let v: Value = response.expect("upload").json().await.expect("json");
    assert_eq!(v["error"]["code"], 131053);

    let (status, info) = h.call(reqwest::Method::GET, &format!("/v25.0/{id}?phone_number_id={PHONE}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["mime_type"], "image/jpeg");
    assert_eq!(info["file_size"], 6);
    assert_eq!(info["id"], id.as_str());
    assert_eq!(info["sha256"].as_str().map(str::len), Some(64));
    let (status, _) = h.call(reqwest::Method::GET, &format!("/{id}?phone_number_id=1"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let media_url = info["url"].as_str().expect("url");
    assert!(media_url.starts_with(&format!("{}/_media/{id}?", h.base)) && !media_url.contains(TOKEN));
    let response = h.http.get(media_url).send().await.expect("download");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = h.http.get(media_url).bearer_auth(TOKEN).send().await.expect("download");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("image/jpeg"));
    assert_eq!(response.bytes().await.expect("bytes").as_ref(), b"\xff\xd8jpeg");
    let forged = media_url.replace("hash=", "hash=0");
    let response = h.http.get(forged).bearer_auth(TOKEN).send().await.expect("download");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // Sending: an uploaded id works, an unknown id does not.
    h.handle.open_window(PHONE, CONTACT);
    let image =
        |id: &str| json!({"messaging_product":"whatsapp","to":CONTACT,"type":"image","image":{"id":id,"caption":"c"}});
    assert_eq!(h.send(image(&id)).await.0, StatusCode::OK);
    let (status, v) = h.send(image("42")).await;
    assert_eq!((status, error_code(&v).0), (StatusCode::BAD_REQUEST, Some(100)));

    let (status, v) = h.call(reqwest::Method::DELETE, &format!("/v25.0/{id}"), None).await;
    assert_eq!((status, v), (StatusCode::OK, json!({"success": true})));
    let (status, v) = h.call(reqwest::Method::GET, &format!("/{id}"), None).await;
    assert_eq!((status, error_code(&v)), (StatusCode::BAD_REQUEST, (Some(100), Some(33))));
    h.stop().await;
}
