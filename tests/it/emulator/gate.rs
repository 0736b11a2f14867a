//! What every Graph call passes first: the access token, the path table
//! (unknown objects, paths and methods are Graph errors) and injected
//! faults.

use std::time::Duration;

use http::StatusCode;
use serde_json::{Value, json};
use tokio::time::Instant;
use wagate::emulator::{Fault, FaultKind};

use super::harness::{TOKEN, WABA, error_code, start, text_to};
use crate::support::{CONTACT, PHONE};

#[tokio::test]
async fn tokens_are_required_on_graph_paths_only() {
    let h = start(|_| {}).await;
    let url = format!("{}/v25.0/{PHONE}/messages", h.base);
    let response = h.http.post(&url).bearer_auth("wrong").json(&text_to(CONTACT, "x")).send().await.expect("send");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let v: Value = response.json().await.expect("json");
    assert_eq!(error_code(&v), (Some(190), None));
    assert_eq!(v["error"]["type"], "OAuthException");
    assert!(v["error"]["fbtrace_id"].is_string());

    let response = h.http.get(format!("{}/{PHONE}", h.base)).send().await.expect("send");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // ?access_token= works too, and so does the unversioned path.
    let response = h.http.get(format!("{}/{PHONE}?access_token={TOKEN}", h.base)).send().await.expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    let (status, _) = h.call(reqwest::Method::GET, &format!("/{WABA}/message_templates"), None).await;
    assert_eq!(status, StatusCode::OK);

    let response = h.http.get(format!("{}/_admin/sent", h.base)).send().await.expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    h.stop().await;
}

#[tokio::test]
async fn unknown_objects_paths_and_methods_get_graph_errors() {
    let h = start(|_| {}).await;
    let (status, v) = h.call(reqwest::Method::POST, "/v25.0/999/messages", Some(text_to(CONTACT, "x"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&v), (Some(100), Some(33)));
    assert_eq!(v["error"]["type"], "GraphMethodException");

    let (status, v) = h.call(reqwest::Method::GET, "/v25.0/1284751093365999", None).await;
    assert_eq!((status, error_code(&v)), (StatusCode::BAD_REQUEST, (Some(100), Some(33))));

    let (status, v) = h.call(reqwest::Method::GET, &format!("/v25.0/{PHONE}/nothing/here"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(v["error"]["message"].is_string());

    let (status, v) = h.call(reqwest::Method::GET, &format!("/v25.0/{PHONE}/messages"), None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(v["error"]["message"], "Unsupported get request.");

    let (status, v) = h.call(reqwest::Method::POST, &format!("/{PHONE}/messages"), Some(json!({"to":CONTACT}))).await;
    assert_eq!((status, error_code(&v).0), (StatusCode::BAD_REQUEST, Some(100)));

    let response = h
        .http
        .post(format!("{}/{PHONE}/messages", h.base))
        .bearer_auth(TOKEN)
        .body("{not json")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let v: Value = response.json().await.expect("envelope");
    assert_eq!(error_code(&v).0, Some(100));
    h.stop().await;
}

#[tokio::test]
async fn injected_faults_fail_the_next_matching_calls() {
    let h = start(|_| {}).await;
    h.handle.open_window(PHONE, CONTACT);
    h.handle.inject_fault(Fault {
        count: 2,
        kind: FaultKind::GraphError {
            http_status: 500,
            code: 131000,
            subcode: None,
            message: "(#131000) Something went wrong".into(),
            details: "injected".into(),
        },
        path_contains: Some("/messages".into()),
    });
    // A call on another path is not affected.
    let (status, _) = h.call(reqwest::Method::GET, &format!("/{PHONE}"), None).await;
    assert_eq!(status, StatusCode::OK);
    for _ in 0..2 {
        let (status, v) = h.send(text_to(CONTACT, "x")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(v["error"]["code"], 131000);
        assert_eq!(v["error"]["message"], "(#131000) Something went wrong");
        assert_eq!(v["error"]["error_data"]["details"], "injected");
    }
    let (status, _) = h.send(text_to(CONTACT, "x")).await;
    assert_eq!(status, StatusCode::OK);

    // Faults come after auth.
    h.handle.inject_fault(Fault {
        count: 1,
        kind: FaultKind::RawStatus { http_status: 502, body: "<html>bad gateway</html>".into() },
        path_contains: None,
    });
    let response = h.http.get(format!("{}/{PHONE}", h.base)).send().await.expect("send");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let (status, body) = h.call(reqwest::Method::GET, &format!("/{PHONE}"), None).await;
    assert_eq!((status, body), (StatusCode::BAD_GATEWAY, json!("<html>bad gateway</html>")));

    // Over HTTP, with latency.
    let (status, _) = h
        .call(
            reqwest::Method::POST,
            "/_admin/faults",
            Some(json!({"kind":"latency","latency_ms":50,"path_contains":"/messages"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let started = Instant::now();
    let (status, _) = h.send(text_to(CONTACT, "slow")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(50));
    h.stop().await;
}
