//! Webhook ingest against a floor: the same signed POSTs answered 200 by a
//! bare hyper server that reads the body and does nothing else. Measured:
//! the gateway's listener (signature check, parse into typed events,
//! publish to the in-memory bus, then 200). Prints both and the ratio.
//! Run with `cargo bench --bench webhook_ingest`.

use std::{
    convert::Infallible,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::{Request, Response, body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use sha2::{Digest as _, Sha256};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use wagate::{
    access::{PhoneNumbers, Scope},
    app::Gateway,
    bus::BusSettings,
    config::{Resolved, ResolvedAccount, ResolvedApiKey},
};

const POSTS: usize = 20_000;
const IN_FLIGHT: usize = 32;
const SECRET: &str = "bench-app-secret";

/// A batch like Meta's: one inbound message and three statuses, `\\u`-escaped.
fn body(i: usize) -> Vec<u8> {
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"109348720013455","changes":[{{"value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15557771234","phone_number_id":"113502948871204"}},"contacts":[{{"profile":{{"name":"Jos\u00e9"}},"wa_id":"14155550123"}}],"messages":[{{"from":"14155550123","id":"wamid.in-{i}","timestamp":"1784020325","type":"text","text":{{"body":"Ol\u00e1, the navy one in M please \ud83d\ude00"}}}}],"statuses":[{{"id":"wamid.out-{i}","status":"sent","timestamp":"1784020326","recipient_id":"14155550123","pricing":{{"pricing_model":"PMP","type":"regular","category":"utility","billable":true}}}},{{"id":"wamid.out-{i}","status":"delivered","timestamp":"1784020327","recipient_id":"14155550123"}},{{"id":"wamid.out-{i}","status":"read","timestamp":"1784020328","recipient_id":"14155550123"}}]}},"field":"messages"}}]}}]}}"#
    )
    .into_bytes()
}

fn sign(body: &[u8]) -> String {
    use hmac::Mac as _;
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Posts every body to `url` with `IN_FLIGHT` concurrent senders; returns posts per second.
async fn drive(url: String, bodies: Arc<Vec<(Bytes, String)>>) -> f64 {
    let http = reqwest::Client::new();
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let senders: Vec<_> = (0..IN_FLIGHT)
        .map(|_| {
            let (http, url, bodies, next) = (http.clone(), url.clone(), bodies.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((body, signature)) = bodies.get(i) else { break };
                    let response = http
                        .post(&url)
                        .header("x-hub-signature-256", signature)
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(response.status(), 200);
                }
            })
        })
        .collect();
    for sender in senders {
        sender.await.unwrap();
    }
    bodies.len() as f64 / start.elapsed().as_secs_f64()
}

async fn bare_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let service = service_fn(|request: Request<Incoming>| async move {
                    let _ = request.into_body().collect().await;
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
                });
                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    addr
}

#[tokio::main]
async fn main() {
    let bodies: Arc<Vec<_>> = Arc::new(
        (0..POSTS)
            .map(|i| {
                let body = body(i);
                let signature = sign(&body);
                (Bytes::from(body), signature)
            })
            .collect(),
    );

    let floor = drive(format!("http://{}/webhook", bare_server().await), bodies.clone()).await;

    let config = Resolved {
        grpc_addr: "127.0.0.1:0".parse().unwrap(),
        tls: None,
        shutdown_grace: Duration::from_secs(1),
        grpc_limits: wagate::config::GrpcLimits::default(),
        graph_timeout: Duration::from_secs(10),
        graph_connect_timeout: Duration::from_secs(2),
        graph_media_hosts: Vec::new(),
        webhook_addr: "127.0.0.1:0".parse().unwrap(),
        webhook_path: "/webhook".into(),
        webhook_verify_token: None,
        webhook_limits: wagate::config::WebhookLimits { max_body_bytes: 1 << 20, ..Default::default() },
        default_phone_number_id: "113502948871204".into(),
        apps: Vec::new(),
        accounts: vec![ResolvedAccount {
            name: "bench".into(),
            waba_id: "109348720013455".into(),
            phone_number_ids: vec!["113502948871204".into()],
            access_token: "unused".to_owned().into(),
            app_secrets: vec![SECRET.to_owned().into()],
            graph_base_url: "http://127.0.0.1:9".into(),
            api_version: "v25.0".into(),
        }],
        api_keys: vec![ResolvedApiKey {
            name: "bench".into(),
            sha256: Sha256::digest("unused").into(),
            scopes: [Scope::Events].into(),
            phone_number_ids: PhoneNumbers::All,
        }],
        redis: None,
        bus: BusSettings { history: 4 * POSTS, ..BusSettings::default() },
        enforce_window: true,
        messages_per_second: 0,
        pair_rate_limit: false,
    };
    let gateway = Gateway::bind(config).await.unwrap();
    let url = format!("http://{}/webhook", gateway.webhook_addr());
    let shutdown = CancellationToken::new();
    tokio::spawn(gateway.run(shutdown.clone()));
    let measured = drive(url, bodies).await;
    shutdown.cancel();

    println!("webhook_ingest ({POSTS} signed POSTs of 4 events each, {IN_FLIGHT} in flight)");
    println!("  floor: bare hyper 200          {floor:>9.0} POST/s");
    println!("  gateway: verify+parse+publish  {measured:>9.0} POST/s  ({:.0} events/s)", measured * 4.0);
    println!("  ratio gateway/floor: {:.2}x", measured / floor);
}
