//! SendMessage through the gateway against a floor: the same JSON POSTed
//! straight to the same emulator with reqwest. Prints latency and throughput
//! of both and the gateway's overhead ratio. Run with `cargo bench --bench send_message`.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use sha2::{Digest as _, Sha256};
use tokio_util::sync::CancellationToken;
use tonic::transport::Endpoint;
use wagate::{
    access::{PhoneNumbers, Scope},
    app::Gateway,
    bus::BusSettings,
    config::{Resolved, ResolvedAccount, ResolvedApiKey},
    emulator::{Emulator, EmulatorConfig},
    pb::{self, message_content::Kind, messaging_service_client::MessagingServiceClient},
};

const SEQUENTIAL: usize = 2_000;
const CONCURRENT: usize = 20_000;
const IN_FLIGHT: usize = 64;
const KEY: &str = "bench-key";

struct Figures {
    p50: Duration,
    p99: Duration,
    per_second: f64,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p) as usize]
}

async fn measure<F, Fut>(call: F) -> Figures
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    for _ in 0..200 {
        call().await; // warm the pools
    }
    let mut latencies = Vec::with_capacity(SEQUENTIAL);
    for _ in 0..SEQUENTIAL {
        let start = Instant::now();
        call().await;
        latencies.push(start.elapsed());
    }
    latencies.sort();
    let start = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let workers: Vec<_> = (0..IN_FLIGHT)
        .map(|_| {
            let call = call.clone();
            let next = next.clone();
            tokio::spawn(async move {
                while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < CONCURRENT {
                    call().await;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    let per_second = CONCURRENT as f64 / start.elapsed().as_secs_f64();
    Figures { p50: percentile(&latencies, 0.5), p99: percentile(&latencies, 0.99), per_second }
}

#[tokio::main]
async fn main() {
    let config = EmulatorConfig { throughput_per_second: 0, webhook_url: None, ..EmulatorConfig::default() };
    let emulator = Emulator::bind("127.0.0.1:0".parse().unwrap(), config.clone()).await.unwrap();
    let emulator_url = format!("http://{}", emulator.local_addr());
    let handle = emulator.handle();
    let shutdown = CancellationToken::new();
    tokio::spawn(emulator.run(shutdown.clone()));

    let resolved = Resolved {
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
        default_phone_number_id: config.phone_number_id.clone(),
        apps: Vec::new(),
        accounts: vec![ResolvedAccount {
            name: "bench".into(),
            waba_id: config.waba_id.clone(),
            phone_number_ids: vec![config.phone_number_id.clone()],
            access_token: config.access_token.clone().into(),
            app_secrets: vec![config.app_secret.clone().into()],
            graph_base_url: emulator_url.clone(),
            api_version: "v25.0".into(),
        }],
        api_keys: vec![ResolvedApiKey {
            name: "bench".into(),
            sha256: Sha256::digest(KEY).into(),
            scopes: [Scope::Messages].into(),
            phone_number_ids: PhoneNumbers::All,
        }],
        redis: None,
        bus: BusSettings::default(),
        enforce_window: false,
        messages_per_second: 0,
        pair_rate_limit: false,
    };
    let gateway = Gateway::bind(resolved).await.unwrap();
    let grpc = format!("http://{}", gateway.grpc_addr());
    tokio::spawn(gateway.run(shutdown.clone()));

    // Floor: the Graph JSON posted straight to the emulator.
    let http = reqwest::Client::new();
    let url = format!("{emulator_url}/v25.0/{}/messages", config.phone_number_id);
    let body = serde_json::json!({
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "14155550123",
        "type": "text", "text": {"body": "Your order ships tomorrow."}
    });
    let token = config.access_token.clone();
    let floor = measure(move || {
        let request = http.post(&url).bearer_auth(&token).json(&body);
        async move {
            let response = request.send().await.unwrap();
            assert!(response.status().is_success());
            response.bytes().await.unwrap();
        }
    })
    .await;
    handle.clear_sent();

    // Measured: the same message through gRPC, auth, validation and conversion.
    let channel = Endpoint::from_shared(grpc).unwrap().connect().await.unwrap();
    let auth: tonic::metadata::MetadataValue<_> = format!("Bearer {KEY}").parse().unwrap();
    let client = MessagingServiceClient::with_interceptor(channel, move |mut r: tonic::Request<()>| {
        r.metadata_mut().insert("authorization", auth.clone());
        Ok(r)
    });
    let request = pb::SendMessageRequest {
        to: "14155550123".into(),
        content: Some(pb::MessageContent {
            kind: Some(Kind::Text(pb::Text { body: "Your order ships tomorrow.".into(), preview_url: false })),
        }),
        ..Default::default()
    };
    let measured = measure(move || {
        let mut client = client.clone();
        let request = request.clone();
        async move {
            client.send_message(request).await.unwrap();
        }
    })
    .await;
    handle.clear_sent();
    shutdown.cancel();

    println!("send_message ({SEQUENTIAL} sequential, {CONCURRENT} with {IN_FLIGHT} in flight)");
    for (name, f) in [("floor: reqwest → emulator", &floor), ("gateway: gRPC → emulator", &measured)] {
        println!("  {name:<28} p50 {:>8.1?}  p99 {:>8.1?}  {:>9.0} msg/s", f.p50, f.p99, f.per_second);
    }
    println!(
        "  ratio gateway/floor: p50 latency {:.2}x, throughput {:.2}x",
        measured.p50.as_secs_f64() / floor.p50.as_secs_f64(),
        measured.per_second / floor.per_second
    );
}
