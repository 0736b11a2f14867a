//! The admin API: inbound messages with downloadable media, read receipts,
//! the sent log, and reset.

use http::StatusCode;
use serde_json::json;

use super::harness::{TOKEN, WABA, error_code, start, text_to};
use crate::support::{CONTACT, PHONE};

#[tokio::test]
async fn admin_inbound_media_is_downloadable_and_sent_is_listed() {
    let mut h = start(|_| {}).await;
    let (status, v) = h
        .call(
            reqwest::Method::POST,
            "/_admin/inbound",
            Some(json!({"from":CONTACT,"message":{"type":"image","image":{"caption":"the stain"}}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let wamid = v["message_id"].as_str().expect("wamid").to_owned();
    let (_, change) = h.sink.change().await;
    let image = &change["value"]["messages"][0]["image"];
    assert_eq!(change["value"]["messages"][0]["id"], wamid.as_str());
    assert_eq!(image["caption"], "the stain");
    assert_eq!(image["mime_type"], "image/jpeg");
    let media_id = image["id"].as_str().expect("media id");
    let (_, info) = h.call(reqwest::Method::GET, &format!("/{media_id}"), None).await;
    let response = h.http.get(info["url"].as_str().expect("url")).bearer_auth(TOKEN).send().await.expect("download");
    assert_eq!(response.status(), StatusCode::OK);

    let (status, v) =
        h.call(reqwest::Method::POST, "/_admin/inbound", Some(json!({"from":"abc","message":{"type":"text"}}))).await;
    assert_eq!((status, error_code(&v).0), (StatusCode::BAD_REQUEST, Some(100)));

    // The window is open now, and read receipts can be turned off over HTTP.
    let (status, _) = h
        .call(reqwest::Method::POST, &format!("/_admin/contacts/{CONTACT}"), Some(json!({"read_receipts":false})))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h.send(text_to(CONTACT, "got it")).await;
    assert_eq!(status, StatusCode::OK);
    let (_, listed) = h.call(reqwest::Method::GET, "/_admin/sent", None).await;
    assert_eq!(listed["data"][0]["body"]["text"]["body"], "got it");
    let (status, _) = h.call(reqwest::Method::DELETE, "/_admin/sent", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(h.handle.sent().is_empty());
    h.stop().await;
}

#[tokio::test]
async fn reset_clears_everything() {
    let h = start(|_| {}).await;
    h.handle.open_window(PHONE, CONTACT);
    assert_eq!(h.send(text_to(CONTACT, "x")).await.0, StatusCode::OK);
    h.handle.add_template("seeded", "en", "MARKETING", json!([{"type":"BODY","text":"Hi"}])).expect("seed");
    let (status, _) = h.call(reqwest::Method::POST, "/_admin/reset", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(h.handle.sent().is_empty());
    let (_, list) = h.call(reqwest::Method::GET, &format!("/{WABA}/message_templates"), None).await;
    assert_eq!(list, json!({"data": []}));
    h.stop().await;
}
