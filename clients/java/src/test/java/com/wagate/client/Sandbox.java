package com.wagate.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A {@code wagate sandbox} process on free ports, for the tests. */
final class Sandbox implements AutoCloseable {
  static final String API_KEY = "java-client-test-key";
  private static final Pattern MESSAGE_ID = Pattern.compile("\"message_id\"\\s*:\\s*\"([^\"]*)\"");

  private final Process process;
  private final String grpcAddress;
  private final String adminUrl;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private Sandbox(Process process, String grpcAddress, String adminUrl) {
    this.process = process;
    this.grpcAddress = grpcAddress;
    this.adminUrl = adminUrl;
  }

  /** $WAGATE_BIN, or the debug build of the repository. */
  private static Path binary() {
    String env = System.getenv("WAGATE_BIN");
    if (env != null && !env.isEmpty()) {
      return Path.of(env);
    }
    Path binary = Path.of("..", "..", "target", "debug", "wagate").toAbsolutePath().normalize();
    if (!Files.isExecutable(binary)) {
      throw new IllegalStateException(binary + " not found: run `cargo build --bin wagate` or set WAGATE_BIN");
    }
    return binary;
  }

  /** Starts a sandbox and reads its addresses from the banner it prints. */
  static Sandbox start() throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder(
                binary().toString(), "sandbox",
                "--grpc-addr", "127.0.0.1:0",
                "--webhook-addr", "127.0.0.1:0",
                "--emulator-addr", "127.0.0.1:0",
                "--api-key", API_KEY,
                "--status-interval-ms", "20")
            .redirectError(ProcessBuilder.Redirect.INHERIT);
    builder.environment().put("RUST_LOG", "warn");
    Process process = builder.start();
    CompletableFuture<String[]> addresses = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              String grpc = null;
              String admin = null;
              try (BufferedReader lines =
                  new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                  String[] fields = line.trim().split("\\s+");
                  if (fields.length >= 2 && fields[0].equals("gRPC")) {
                    grpc = fields[1];
                  } else if (fields.length >= 3 && fields[0].equals("Cloud") && fields[1].equals("API")) {
                    admin = fields[2].replaceAll("/$", "") + "/_admin";
                  }
                  if (grpc != null && admin != null && !addresses.isDone()) {
                    addresses.complete(new String[] {grpc, admin});
                  }
                }
              } catch (IOException e) {
                addresses.completeExceptionally(e);
              }
              addresses.completeExceptionally(new IllegalStateException("the sandbox exited"));
            },
            "sandbox-stdout");
    reader.setDaemon(true);
    reader.start();
    try {
      String[] found = addresses.get(30, TimeUnit.SECONDS);
      return new Sandbox(process, found[0], found[1]);
    } catch (Exception e) {
      process.destroyForcibly();
      throw new IllegalStateException("the sandbox printed no gRPC and Cloud API addresses", e);
    }
  }

  String grpcAddress() {
    return grpcAddress;
  }

  /** Calls the emulator's admin API; returns the body of its 2xx answer. */
  String admin(String method, String path, String json) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(adminUrl + path))
            .timeout(Duration.ofSeconds(10))
            .header("content-type", "application/json");
    request.method(
        method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
    HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() / 100 != 2) {
      throw new IllegalStateException(method + " " + path + ": " + response.statusCode() + " " + response.body());
    }
    return response.body();
  }

  /** Makes {@code from} write to the business; returns the message's wamid. */
  String injectInbound(String from, String body) throws Exception {
    String answer =
        admin(
            "POST",
            "/inbound",
            "{\"from\":\"" + from + "\",\"profile_name\":\"Ana\","
                + "\"message\":{\"type\":\"text\",\"text\":{\"body\":\"" + body + "\"}}}");
    Matcher m = MESSAGE_ID.matcher(answer);
    if (!m.find()) {
      throw new IllegalStateException("no message_id in " + answer);
    }
    return m.group(1);
  }

  /** The wamids of the messages the emulator accepted. */
  List<String> sentMessageIds() throws Exception {
    List<String> ids = new ArrayList<>();
    Matcher m = MESSAGE_ID.matcher(admin("GET", "/sent", null));
    while (m.find()) {
      ids.add(m.group(1));
    }
    return ids;
  }

  /** Stops the sandbox with SIGTERM, or kills it. */
  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}
