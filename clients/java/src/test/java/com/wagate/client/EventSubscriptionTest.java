package com.wagate.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.wagate.v1.Event;
import com.wagate.v1.EventServiceGrpc;
import com.wagate.v1.StartPosition;
import com.wagate.v1.SubscribeEventsRequest;
import com.wagate.v1.SubscribeEventsResponse;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The resumption rules, against a scripted EventService (no sandbox). */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class EventSubscriptionTest {
  private static final SubscriptionOptions FAST =
      SubscriptionOptions.defaults().withBackoff(new Backoff(Duration.ofMillis(1), Duration.ofMillis(5), 2, 0));

  private final List<Server> servers = new ArrayList<>();
  private final List<WagateClient> clients = new ArrayList<>();

  /**
   * Call i sends at most {@code batches[i]} of the events after the requested cursor (all once
   * the batches run out), then ends with {@code failures[i]} (or stays open when null or none).
   */
  static final class ScriptedEvents extends EventServiceGrpc.EventServiceImplBase {
    final List<String> log;
    final Deque<Integer> batches;
    final Deque<Object> failures;
    final List<String> starts = new ArrayList<>();

    ScriptedEvents(List<String> log, List<Integer> batches, List<Object> failures) {
      this.log = log;
      this.batches = new ArrayDeque<>(batches);
      this.failures = new ArrayDeque<>(failures);
    }

    @Override
    public void subscribeEvents(
        SubscribeEventsRequest request, StreamObserver<SubscribeEventsResponse> observer) {
      int batch;
      Object failure;
      synchronized (this) {
        starts.add(request.getAfterCursor());
        batch = batches.isEmpty() ? log.size() : batches.poll();
        failure = failures.isEmpty() ? null : failures.poll();
      }
      int from = request.getAfterCursor().isEmpty() ? 0 : log.indexOf(request.getAfterCursor()) + 1;
      if (failure == null) {
        // Like the gateway, accept the stream at once; grpc-java sends the headers with the
        // first message, so send one without an event (the client skips it). A failure
        // without events stays a trailers-only answer.
        observer.onNext(SubscribeEventsResponse.getDefaultInstance());
      }
      for (int i = from; i < Math.min(log.size(), from + batch); i++) {
        String cursor = log.get(i);
        observer.onNext(
            SubscribeEventsResponse.newBuilder()
                .setEvent(Event.newBuilder().setId("ev-" + cursor).setCursor(cursor))
                .build());
      }
      if (failure instanceof Throwable error) {
        observer.onError(error);
      }
      // Otherwise the stream stays open until the client cancels it.
    }
  }

  static Throwable lagged(String lastCursor) {
    return StatusProto.toStatusRuntimeException(
        com.google.rpc.Status.newBuilder()
            .setCode(Code.RESOURCE_EXHAUSTED_VALUE)
            .setMessage("lagged")
            .addDetails(
                Any.pack(
                    ErrorInfo.newBuilder()
                        .setReason(WagateErrors.REASON_SUBSCRIBER_LAGGED)
                        .setDomain("wagate")
                        .putMetadata("last_cursor", lastCursor)
                        .build()))
            .build());
  }

  static final Throwable UNAVAILABLE = Status.UNAVAILABLE.withDescription("restarting").asRuntimeException();

  private WagateClient serve(ScriptedEvents scripted) throws Exception {
    Server server =
        Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()).addService(scripted).build().start();
    servers.add(server);
    WagateClient client = WagateClient.builder("127.0.0.1:" + server.getPort(), "k").usePlaintext().build();
    clients.add(client);
    return client;
  }

  @AfterEach
  void stop() {
    clients.forEach(WagateClient::close);
    servers.forEach(Server::shutdownNow);
  }

  private static List<String> take(EventSubscription events, int n) {
    List<String> cursors = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      cursors.add(events.next().getCursor());
    }
    return cursors;
  }

  @Test
  void resumesAfterLagAndUnavailable() throws Exception {
    ScriptedEvents scripted =
        new ScriptedEvents(
            List.of("c1", "c2", "c3", "c4", "c5", "c6"), List.of(2, 2, 2), List.of(lagged("c2"), UNAVAILABLE));
    try (EventSubscription events = serve(scripted).subscribe(SubscribeEventsRequest.getDefaultInstance(), FAST)) {
      assertEquals(List.of("c1", "c2", "c3", "c4", "c5", "c6"), take(events, 6));
    }
    assertEquals(List.of("", "c2", "c4"), scripted.starts);
  }

  @Test
  void aLagBeforeAnyEventResumesFromTheGatewaysCursor() throws Exception {
    ScriptedEvents scripted = new ScriptedEvents(List.of("c1", "c2", "c3"), List.of(0), List.of(lagged("c1")));
    try (EventSubscription events = serve(scripted).subscribe(SubscribeEventsRequest.getDefaultInstance(), FAST)) {
      assertEquals(List.of("c2"), take(events, 1));
    }
  }

  @Test
  void errorsThatRetryingCannotFixAreThrown() throws Exception {
    Throwable denied = Status.PERMISSION_DENIED.withDescription("no").asRuntimeException();
    ScriptedEvents scripted = new ScriptedEvents(List.of("c1"), List.of(0, 1), List.of(denied, denied));
    WagateClient client = serve(scripted);
    StatusRuntimeException error =
        assertThrows(
            StatusRuntimeException.class, () -> client.subscribe(SubscribeEventsRequest.getDefaultInstance(), FAST));
    assertEquals(Status.Code.PERMISSION_DENIED, error.getStatus().getCode());
    try (EventSubscription events = client.subscribe(SubscribeEventsRequest.getDefaultInstance(), FAST)) {
      assertEquals(List.of("c1"), take(events, 1));
      error = assertThrows(StatusRuntimeException.class, events::next);
      assertEquals(Status.Code.PERMISSION_DENIED, error.getStatus().getCode());
    }
  }

  @Test
  void startsAfterTheRequestedCursorAndRemembersIt() throws Exception {
    ScriptedEvents scripted = new ScriptedEvents(List.of("c1", "c2", "c3"), List.of(), List.of());
    SubscribeEventsRequest request = SubscribeEventsRequest.newBuilder().setAfterCursor("c1").build();
    try (EventSubscription events = serve(scripted).subscribe(request, FAST)) {
      assertEquals("c1", events.cursor());
      assertEquals(List.of("c2", "c3"), take(events, 2));
      assertEquals("c3", events.cursor());
      assertTrue(events.poll(Duration.ofMillis(50)).isEmpty());
    }
    SubscribeEventsRequest oldest =
        SubscribeEventsRequest.newBuilder().setPosition(StartPosition.START_POSITION_OLDEST).build();
    assertEquals(StartPosition.START_POSITION_OLDEST, oldest.getPosition());
  }

  @Test
  void backoffGrowsToItsCap() {
    Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), 2, 0);
    List<Long> millis = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      millis.add(backoff.delay(i).toMillis());
    }
    assertEquals(List.of(100L, 200L, 400L, 800L, 1000L, 1000L), millis);
    Backoff jittered = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), 2, 0.5);
    for (int i = 0; i < 50; i++) {
      long d = jittered.delay(i % 6).toMillis();
      assertTrue(d >= 50 && d <= 1500, "jittered delay " + d);
    }
  }
}
