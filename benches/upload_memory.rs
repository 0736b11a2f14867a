//! Peak memory of the gateway while it streams a 100 MB document upload,
//! against a floor: the same 100 MB streamed straight to the emulator as a
//! multipart body with reqwest. Run with `cargo bench --bench upload_memory`.
//!
//! The emulator keeps every upload in memory, so it runs in its own process
//! (`wagate emulator`), and each measurement runs in a fresh process of this
//! benchmark (the same executable, re-run with a role), so that neither the
//! emulator's store nor the other measurement's allocations count. A process
//! measures the growth of its resident set over a baseline taken after a
//! warm-up upload: the peak is the kernel's high-water mark (`VmHWM`, reset
//! first by writing 5 to `/proc/self/clear_refs`) and, as a cross-check or
//! when the reset is not permitted, the maximum of `VmRSS` sampled every
//! millisecond. It prints figures; it asserts nothing and times nothing.

use std::{
    io::{BufRead as _, BufReader},
    net::{SocketAddr, TcpListener, TcpStream},
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    thread,
    time::{Duration, Instant},
};

use bytes::Bytes;
use sha2::{Digest as _, Sha256};
use tokio_util::sync::CancellationToken;
use tonic::{Request, transport::Endpoint};
use wagate::{
    access::{PhoneNumbers, Scope},
    app::Gateway,
    bus::BusSettings,
    config::{Resolved, ResolvedAccount, ResolvedApiKey},
    emulator::EmulatorConfig,
    pb::{self, media_service_client::MediaServiceClient, upload_media_request::Part},
};

const TOTAL: usize = 100 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;
const WARM_UP: usize = 2 * 1024 * 1024;
const KEY: &str = "bench-key";
const ROLE_ENV: &str = "WAGATE_UPLOAD_BENCH_ROLE";
const EMULATOR_ENV: &str = "WAGATE_UPLOAD_BENCH_EMULATOR";

fn main() {
    match std::env::var(ROLE_ENV) {
        Ok(role) => {
            let emulator: SocketAddr =
                std::env::var(EMULATOR_ENV).expect("the emulator address").parse().expect("an address");
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
            let figures = runtime.block_on(measure(&role, emulator));
            // One line for the parent to read.
            println!(
                "RESULT {} {} {} {} {}",
                figures.baseline_kib,
                figures.hwm_growth_kib,
                figures.sampled_growth_kib,
                figures.elapsed_ms,
                figures.reset
            );
        }
        Err(_) => orchestrate(),
    }
}

// === the parent: emulator process, one process per measurement, report ===

/// The emulator child, killed (by its pid) when dropped.
struct EmulatorProcess(Child);

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

fn orchestrate() {
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let child = Command::new(env!("CARGO_BIN_EXE_wagate"))
        .args(["emulator", "--addr", &addr.to_string(), "--throughput", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start `wagate emulator`");
    let _emulator = EmulatorProcess(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "the emulator did not start listening on {addr}");
        thread::sleep(Duration::from_millis(20));
    }

    let floor = run_role("floor", addr);
    let measured = run_role("gateway", addr);
    let mib = |kib: u64| kib as f64 / 1024.0;
    let chunks = |kib: u64| kib as f64 * 1024.0 / CHUNK as f64;
    println!(
        "upload_memory: a {} MB document ({TOTAL} bytes) in {} KiB chunks ({CHUNK} bytes)",
        TOTAL / (1024 * 1024),
        CHUNK / 1024
    );
    for (label, f) in [
        ("floor   (reqwest multipart stream -> emulator)", &floor),
        ("measured (gRPC client -> gateway -> emulator)", &measured),
    ] {
        println!(
            "  {label}: peak RSS growth {:6.2} MiB = {:5.1} chunks (sampled VmRSS: {:6.2} MiB; baseline {:6.1} MiB; {:.1} s{})",
            mib(f.peak()),
            chunks(f.peak()),
            mib(f.sampled_growth_kib),
            mib(f.baseline_kib),
            f.elapsed_ms as f64 / 1000.0,
            if f.reset { "" } else { "; VmHWM reset not permitted, sampled only" },
        );
    }
    println!(
        "  ratio measured / floor: {:.2}; measured / file size: {:.4}",
        measured.peak() as f64 / floor.peak().max(1) as f64,
        measured.peak() as f64 * 1024.0 / TOTAL as f64
    );
}

#[derive(Debug, Clone, Copy)]
struct Figures {
    baseline_kib: u64,
    hwm_growth_kib: u64,
    sampled_growth_kib: u64,
    elapsed_ms: u64,
    reset: bool,
}

impl Figures {
    /// The peak growth: the high-water mark when it could be reset, else the sampled maximum.
    fn peak(&self) -> u64 {
        if self.reset { self.hwm_growth_kib.max(self.sampled_growth_kib) } else { self.sampled_growth_kib }
    }
}

fn run_role(role: &str, emulator: SocketAddr) -> Figures {
    let mut child = Command::new(std::env::current_exe().expect("this benchmark's path"))
        .env(ROLE_ENV, role)
        .env(EMULATOR_ENV, emulator.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start a measurement process");
    let stdout = child.stdout.take().expect("piped stdout");
    let line = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find(|l| l.starts_with("RESULT "))
        .unwrap_or_else(|| panic!("the {role} measurement printed no result"));
    let status = child.wait().expect("the measurement process");
    assert!(status.success(), "the {role} measurement failed: {status}");
    let fields: Vec<&str> = line.split_whitespace().skip(1).collect();
    let number = |i: usize| fields[i].parse::<u64>().expect("a number");
    Figures {
        baseline_kib: number(0),
        hwm_growth_kib: number(1),
        sampled_growth_kib: number(2),
        elapsed_ms: number(3),
        reset: fields[4] == "true",
    }
}

// === a measurement process ===

/// A `kB` field of /proc/self/status.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

/// Samples VmRSS every millisecond until stopped; keeps the maximum.
struct Sampler {
    stop: Arc<AtomicBool>,
    max: Arc<AtomicU64>,
    thread: thread::JoinHandle<()>,
}

impl Sampler {
    fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let max = Arc::new(AtomicU64::new(status_kib("VmRSS")));
        let thread = thread::spawn({
            let (stop, max) = (stop.clone(), max.clone());
            move || {
                while !stop.load(Ordering::Relaxed) {
                    max.fetch_max(status_kib("VmRSS"), Ordering::Relaxed);
                    thread::sleep(Duration::from_millis(1));
                }
            }
        });
        Self { stop, max, thread }
    }

    fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("the sampler");
        self.max.load(Ordering::Relaxed).max(status_kib("VmRSS"))
    }
}

/// `len` bytes of document in `CHUNK`-sized pieces, made as they are pulled.
fn chunks(len: usize) -> impl Iterator<Item = Vec<u8>> + Send + 'static {
    (0..len.div_ceil(CHUNK)).map(move |i| {
        let size = CHUNK.min(len - i * CHUNK);
        let byte = u8::try_from(i % 251).unwrap_or(0);
        vec![byte; size]
    })
}

async fn measure(role: &str, emulator: SocketAddr) -> Figures {
    let upload: Box<dyn Uploader> = match role {
        "floor" => Box::new(Floor::new(emulator)),
        "gateway" => Box::new(ThroughGateway::start(emulator).await),
        other => panic!("unknown role {other}"),
    };
    // Warm up connections, pools, thread stacks and allocator arenas first.
    upload.upload(WARM_UP).await;
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let baseline = status_kib("VmRSS");
    let sampler = Sampler::start();
    let start = Instant::now();
    upload.upload(TOTAL).await;
    let elapsed = start.elapsed();
    let sampled = sampler.finish();
    let hwm = status_kib("VmHWM");
    Figures {
        baseline_kib: baseline,
        hwm_growth_kib: hwm.saturating_sub(baseline),
        sampled_growth_kib: sampled.saturating_sub(baseline),
        elapsed_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        reset,
    }
}

/// One way of uploading `len` bytes of document.
trait Uploader {
    fn upload(&self, len: usize) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>>;
}

/// The floor: a multipart body streamed straight to the emulator.
struct Floor {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Floor {
    fn new(emulator: SocketAddr) -> Self {
        let config = EmulatorConfig::default();
        Self {
            http: reqwest::Client::new(),
            url: format!("http://{emulator}/v25.0/{}/media", config.phone_number_id),
            token: config.access_token,
        }
    }
}

impl Uploader for Floor {
    fn upload(&self, len: usize) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            let stream = tokio_stream::iter(chunks(len).map(|c| Ok::<_, std::io::Error>(Bytes::from(c))));
            let part = reqwest::multipart::Part::stream(reqwest::Body::wrap_stream(stream))
                .file_name("report.pdf")
                .mime_str("application/pdf")
                .expect("a MIME type");
            let form = reqwest::multipart::Form::new()
                .text("messaging_product", "whatsapp")
                .text("type", "application/pdf")
                .part("file", part);
            let answer = self.http.post(&self.url).bearer_auth(&self.token).multipart(form).send().await;
            let answer = answer.expect("the emulator answers");
            assert!(answer.status().is_success(), "the floor upload failed: {}", answer.status());
        })
    }
}

/// The measured path: a gRPC client stream to an in-process gateway.
struct ThroughGateway {
    client: MediaServiceClient<tonic::transport::Channel>,
    _shutdown: tokio_util::sync::DropGuard,
}

impl ThroughGateway {
    async fn start(emulator: SocketAddr) -> Self {
        let emu = EmulatorConfig::default();
        let config = Resolved {
            grpc_addr: "127.0.0.1:0".parse().expect("addr"),
            tls: None,
            shutdown_grace: Duration::from_secs(1),
            grpc_limits: wagate::config::GrpcLimits::default(),
            graph_timeout: Duration::from_secs(10),
            graph_connect_timeout: Duration::from_secs(2),
            graph_media_hosts: Vec::new(),
            webhook_addr: "127.0.0.1:0".parse().expect("addr"),
            webhook_path: "/webhook".into(),
            webhook_verify_token: None,
            webhook_limits: wagate::config::WebhookLimits { max_body_bytes: 1 << 20, ..Default::default() },
            default_phone_number_id: emu.phone_number_id.clone(),
            apps: Vec::new(),
            accounts: vec![ResolvedAccount {
                name: "bench".into(),
                waba_id: emu.waba_id.clone(),
                phone_number_ids: vec![emu.phone_number_id.clone()],
                access_token: emu.access_token.clone().into(),
                app_secrets: vec![emu.app_secret.clone().into()],
                graph_base_url: format!("http://{emulator}"),
                api_version: "v25.0".into(),
            }],
            api_keys: vec![ResolvedApiKey {
                name: "bench".into(),
                sha256: Sha256::digest(KEY.as_bytes()).into(),
                scopes: [Scope::Media].into(),
                phone_number_ids: PhoneNumbers::All,
            }],
            redis: None,
            bus: BusSettings::default(),
            enforce_window: false,
            messages_per_second: 0,
            pair_rate_limit: false,
        };
        let gateway = Gateway::bind(config).await.expect("bind the gateway");
        let grpc = gateway.grpc_addr();
        let shutdown = CancellationToken::new();
        tokio::spawn(gateway.run(shutdown.clone()));
        let channel = Endpoint::from_shared(format!("http://{grpc}")).expect("url").connect().await.expect("connect");
        Self { client: MediaServiceClient::new(channel), _shutdown: shutdown.drop_guard() }
    }
}

impl Uploader for ThroughGateway {
    fn upload(&self, len: usize) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            let metadata = pb::UploadMediaRequest {
                part: Some(Part::Metadata(pb::UploadMediaMetadata {
                    phone_number_id: String::new(),
                    mime_type: "application/pdf".into(),
                    filename: "report.pdf".into(),
                    kind: pb::MediaKind::Document.into(),
                })),
            };
            let messages = std::iter::once(metadata)
                .chain(chunks(len).map(|c| pb::UploadMediaRequest { part: Some(Part::Chunk(c)) }));
            let mut request = Request::new(tokio_stream::iter(messages));
            request.metadata_mut().insert("authorization", format!("Bearer {KEY}").parse().expect("ascii"));
            let uploaded = self.client.clone().upload_media(request).await.expect("the gateway upload").into_inner();
            assert_eq!(uploaded.size_bytes, len as u64);
        })
    }
}
