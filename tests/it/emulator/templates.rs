//! Message templates over HTTP: review webhooks, edits, admin changes,
//! delete, template sends checked against their placeholders, and list
//! paging with cursors and filters.

use http::StatusCode;
use serde_json::{Value, json};

use super::harness::{TOKEN, WABA, error_code, start};
use crate::support::CONTACT;

#[tokio::test]
async fn templates_are_reviewed_with_webhooks_and_sent_with_checks() {
    let mut h = start(|_| {}).await;
    let create = json!({"name":"order_shipped","language":"en_US","category":"utility","components":[
        {"type":"body","text":"Hi {{1}}, order {{2}} shipped.","example":{"body_text":[["Ana","8F3K2"]]}},
        {"type":"buttons","buttons":[{"type":"quick_reply","text":"Stop"}]}]});
    let path = format!("/v25.0/{WABA}/message_templates");
    let (status, created) = h.call(reqwest::Method::POST, &path, Some(create.clone())).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!((created["status"].as_str(), created["category"].as_str()), (Some("PENDING"), Some("UTILITY")));
    let id = created["id"].as_str().expect("id").to_owned();

    let (status, v) = h.call(reqwest::Method::POST, &path, Some(create)).await;
    assert_eq!((status, error_code(&v).0), (StatusCode::BAD_REQUEST, Some(100)));

    // Entering review posts PENDING, then the review posts its verdict.
    let (_, change) = h.sink.change().await;
    assert_eq!(
        (change["field"].as_str(), change["value"]["event"].as_str()),
        (Some("message_template_status_update"), Some("PENDING"))
    );
    let (entry, change) = h.sink.change().await;
    assert!(entry["time"].is_i64());
    assert_eq!(change["field"], "message_template_status_update");
    assert_eq!(change["value"]["event"], "APPROVED");
    assert_eq!(change["value"]["reason"], "NONE");
    assert_eq!(change["value"]["message_template_id"].as_u64().map(|n| n.to_string()), Some(id.clone()));
    assert_eq!(change["value"]["message_template_name"], "order_shipped");
    assert_eq!(change["value"]["message_template_category"], "UTILITY");
    let (_, got) = h.call(reqwest::Method::GET, &format!("/{id}"), None).await;
    assert_eq!(
        (got["status"].as_str(), got["components"][1]["buttons"][0]["type"].as_str()),
        (Some("APPROVED"), Some("QUICK_REPLY"))
    );

    // Sends: wrong count, unknown language, then a good one (outside any window).
    let send = |params: Vec<&str>, lang: &str| {
        let params: Vec<Value> = params.into_iter().map(|p| json!({"type":"text","text":p})).collect();
        json!({"messaging_product":"whatsapp","to":CONTACT,"type":"template","template":{"name":"order_shipped",
            "language":{"code":lang},"components":[{"type":"body","parameters":params}]}})
    };
    let (status, v) = h.send(send(vec!["Ana"], "en_US")).await;
    assert_eq!((status, v["error"]["code"].as_i64()), (StatusCode::BAD_REQUEST, Some(132000)));
    let (status, v) = h.send(send(vec!["Ana", "8F3K2"], "pt_BR")).await;
    assert_eq!((status, v["error"]["code"].as_i64()), (StatusCode::NOT_FOUND, Some(132001)));
    let (status, v) = h.send(send(vec!["Ana", "8F3K2"], "en_US")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["messages"][0]["message_status"], "accepted");
    let statuses = h.sink.statuses(3).await;
    assert_eq!(statuses[0]["status"], "sent");
    assert_eq!(
        statuses[0]["pricing"],
        json!({"pricing_model":"PMP","type":"regular","category":"utility","billable":true})
    );

    // A reject_ name is REJECTED with INVALID_FORMAT.
    let reject = json!({"name":"reject_me","language":"en","category":"MARKETING","components":[{"type":"BODY","text":"Sale!"}]});
    let (status, _) = h.call(reqwest::Method::POST, &path, Some(reject)).await;
    assert_eq!(status, StatusCode::OK);
    let (_, change) = h.sink.change().await;
    assert_eq!(change["value"]["event"], "PENDING");
    let (_, change) = h.sink.change().await;
    assert_eq!(
        (change["value"]["event"].as_str(), change["value"]["reason"].as_str()),
        (Some("REJECTED"), Some("INVALID_FORMAT"))
    );
    assert!(change["value"]["rejection_info"]["reason"].is_string());

    // Edits go back to PENDING, then APPROVED; a second edit within 24 h is refused.
    let edit = json!({"components":[{"type":"BODY","text":"Hello {{1}}, order {{2}} is on its way.",
        "example":{"body_text":[["Ana","8F3K2"]]}}]});
    let (status, v) = h.call(reqwest::Method::POST, &format!("/v25.0/{id}"), Some(edit.clone())).await;
    assert_eq!((status, v), (StatusCode::OK, json!({"success": true})));
    let (_, change) = h.sink.change().await;
    assert_eq!(change["value"]["event"], "PENDING");
    let (_, change) = h.sink.change().await;
    assert_eq!(change["value"]["event"], "APPROVED");
    let (_, got) = h.call(reqwest::Method::GET, &format!("/{id}?fields=status"), None).await;
    assert_eq!(got, json!({"status":"APPROVED","id":id}));
    let (status, v) = h.call(reqwest::Method::POST, &format!("/{id}"), Some(edit)).await;
    assert_eq!((status, error_code(&v).0), (StatusCode::BAD_REQUEST, Some(100)));

    // Admin changes post their webhooks.
    let (status, _) = h
        .call(
            reqwest::Method::POST,
            &format!("/_admin/templates/{id}/category"),
            Some(json!({"new_category":"MARKETING"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, change) = h.sink.change().await;
    assert_eq!(change["field"], "template_category_update");
    assert_eq!(
        (change["value"]["previous_category"].as_str(), change["value"]["new_category"].as_str()),
        (Some("UTILITY"), Some("MARKETING"))
    );
    let (status, _) = h
        .call(
            reqwest::Method::POST,
            &format!("/_admin/templates/{id}/quality"),
            Some(json!({"new_quality_score":"YELLOW"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, change) = h.sink.change().await;
    assert_eq!(change["field"], "message_template_quality_update");
    assert_eq!(change["value"]["new_quality_score"], "YELLOW");

    // Delete by name.
    let (status, v) = h.call(reqwest::Method::DELETE, &format!("{path}?name=order_shipped"), None).await;
    assert_eq!((status, v), (StatusCode::OK, json!({"success": true})));
    let (status, _) = h.call(reqwest::Method::GET, &format!("/{id}"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    h.stop().await;
}

#[tokio::test]
async fn template_lists_page_with_cursors_and_filter() {
    let h = start(|_| {}).await;
    for name in ["alpha", "beta", "gamma"] {
        h.handle
            .add_template(name, "en_US", "UTILITY", json!([{"type":"BODY","text":format!("{name} {{{{1}}}}")}]))
            .expect("seed");
    }
    let path = format!("/v25.0/{WABA}/message_templates?limit=2&fields=name,status&summary=total_count");
    let (status, page) = h.call(reqwest::Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        page["data"],
        json!([{"name":"alpha","status":"APPROVED","id":page["data"][0]["id"]},
        {"name":"beta","status":"APPROVED","id":page["data"][1]["id"]}])
    );
    assert_eq!(page["summary"], json!({"total_count": 3}));
    assert!(page["paging"].get("previous").is_none());
    let next = page["paging"]["next"].as_str().expect("next").to_owned();
    assert!(next.starts_with(&format!("{}/v25.0/{WABA}/message_templates?", h.base)), "{next}");

    let response = h.http.get(&next).bearer_auth(TOKEN).send().await.expect("next page");
    let page: Value = response.json().await.expect("json");
    assert_eq!(page["data"][0]["name"], "gamma");
    assert_eq!(page["data"].as_array().map(Vec::len), Some(1));
    assert!(page["paging"].get("next").is_none());
    assert!(page["paging"]["previous"].is_string());

    let (_, filtered) =
        h.call(reqwest::Method::GET, &format!("/{WABA}/message_templates?name=ET&status=approved"), None).await;
    assert_eq!(filtered["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(filtered["data"][0]["name"], "beta");
    h.stop().await;
}
