package com.wagate.example;

import com.google.protobuf.util.JsonFormat;
import com.wagate.client.EventSubscription;
import com.wagate.client.WagateClient;
import com.wagate.client.WagateErrors;
import com.wagate.v1.Event;
import com.wagate.v1.MessageContent;
import com.wagate.v1.SendMessageRequest;
import com.wagate.v1.SendMessageResponse;
import com.wagate.v1.SubscribeEventsRequest;
import com.wagate.v1.TemplateMessage;
import io.grpc.StatusRuntimeException;

/**
 * Sends a WhatsApp template message through a wagate gateway and prints every event that
 * follows (its sent, delivered and read statuses, inbound messages), resuming the stream if it
 * breaks. Stop it with Ctrl-C.
 *
 * <p>With {@code wagate sandbox} running, from clients/java:
 *
 * <pre>
 * mvn -q test-compile exec:java -Dexec.args="--insecure localhost:50051 +14155550123"
 * </pre>
 *
 * <p>Arguments: {@code [--insecure] [ADDRESS [RECIPIENT]]}; the API key is {@code
 * $WAGATE_API_KEY}, or the sandbox's.
 */
public final class SendAndListen {
  private SendAndListen() {}

  /**
   * Runs the example.
   *
   * @param args {@code [--insecure] [ADDRESS [RECIPIENT]]}
   * @throws Exception if printing an event fails
   */
  public static void main(String[] args) throws Exception {
    boolean insecure = args.length > 0 && args[0].equals("--insecure");
    int first = insecure ? 1 : 0;
    String address = args.length > first ? args[first] : "localhost:50051";
    String to = args.length > first + 1 ? args[first + 1] : "+14155550123";
    String apiKey = System.getenv().getOrDefault("WAGATE_API_KEY", "sandbox-api-key");

    WagateClient.Builder builder = WagateClient.builder(address, apiKey);
    if (insecure) {
      builder.usePlaintext();
    }
    try (WagateClient client = builder.build();
        // Subscribe first: every event after subscribe() returns is delivered.
        EventSubscription events = client.subscribe(SubscribeEventsRequest.getDefaultInstance())) {
      Runtime.getRuntime().addShutdownHook(new Thread(events::close));
      SendMessageResponse sent;
      try {
        sent =
            client
                .messaging()
                .sendMessage(
                    SendMessageRequest.newBuilder()
                        .setTo(to)
                        .setContent(
                            MessageContent.newBuilder()
                                .setTemplate(
                                    TemplateMessage.newBuilder()
                                        .setName("hello_world")
                                        .setLanguageCode("en_US")))
                        .build());
      } catch (StatusRuntimeException e) {
        String reason = WagateErrors.errorInfo(e).map(i -> " (reason " + i.getReason() + ")").orElse("");
        System.err.println("send failed: " + e.getStatus() + reason);
        System.exit(1);
        return;
      }
      System.out.println("sent " + sent.getMessageId());
      while (events.hasNext()) {
        Event event = events.next();
        System.out.println(JsonFormat.printer().print(event));
      }
    }
  }
}
