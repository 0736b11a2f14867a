package com.wagate.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import com.wagate.v1.Event;
import com.wagate.v1.EventKind;
import com.wagate.v1.GetConversationWindowRequest;
import com.wagate.v1.Image;
import com.wagate.v1.InboundMessage;
import com.wagate.v1.MediaSource;
import com.wagate.v1.MessageContent;
import com.wagate.v1.MessageStatus;
import com.wagate.v1.MessageStatusUpdate;
import com.wagate.v1.SendMessageRequest;
import com.wagate.v1.SendMessageResponse;
import com.wagate.v1.StartPosition;
import com.wagate.v1.SubscribeEventsRequest;
import com.wagate.v1.TemplateMessage;
import com.wagate.v1.Text;
import com.wagate.v1.UploadMediaMetadata;
import com.wagate.v1.UploadMediaResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The client against a real {@code wagate sandbox}, started once for the class. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WagateClientTest {
  private static final List<MessageStatus> STATUSES =
      List.of(MessageStatus.MESSAGE_STATUS_SENT, MessageStatus.MESSAGE_STATUS_DELIVERED, MessageStatus.MESSAGE_STATUS_READ);
  private static final AtomicInteger CONTACTS = new AtomicInteger();
  private static Sandbox sandbox;

  private WagateClient client;
  private String contact;

  @BeforeAll
  static void startSandbox() throws Exception {
    sandbox = Sandbox.start();
  }

  @AfterAll
  static void stopSandbox() throws Exception {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  @BeforeEach
  void connect() {
    client = connect(sandbox.grpcAddress(), Sandbox.API_KEY);
    contact = String.format("1557%03d%04d", ProcessHandle.current().pid() % 1000, CONTACTS.incrementAndGet());
  }

  @AfterEach
  void disconnect() {
    client.close();
  }

  private static WagateClient connect(String address, String apiKey) {
    return WagateClient.builder(address, apiKey).usePlaintext().build();
  }

  private static MessageContent template() {
    return MessageContent.newBuilder()
        .setTemplate(TemplateMessage.newBuilder().setName("hello_world").setLanguageCode("en_US"))
        .build();
  }

  private static MessageContent text(String body) {
    return MessageContent.newBuilder().setText(Text.newBuilder().setBody(body)).build();
  }

  private SendMessageResponse send(WagateClient via, MessageContent content) {
    return via.messaging().sendMessage(SendMessageRequest.newBuilder().setTo("+" + contact).setContent(content).build());
  }

  private SubscribeEventsRequest fromOldest(EventKind... kinds) {
    return SubscribeEventsRequest.newBuilder()
        .addContacts(contact)
        .addAllKinds(List.of(kinds))
        .setPosition(StartPosition.START_POSITION_OLDEST)
        .build();
  }

  /** Makes the contact write first, and waits until the gateway knows its window is open. */
  private void openWindow() throws Exception {
    sandbox.injectInbound(contact, "hello");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    GetConversationWindowRequest request = GetConversationWindowRequest.newBuilder().setContact(contact).build();
    while (!client.messaging().getConversationWindow(request).getOpen()) {
      if (System.nanoTime() > deadline) {
        fail("the window with " + contact + " did not open after an inbound message");
      }
      Thread.sleep(20);
    }
  }

  private static Event nextEvent(EventSubscription events) {
    return events.poll(Duration.ofSeconds(10)).orElseThrow(() -> new AssertionError("no event within 10 s"));
  }

  /** Reads the sent, delivered and read statuses of {@code messageId}, in order. */
  private static List<Event> expectStatuses(EventSubscription events, String messageId) {
    List<Event> got = new ArrayList<>();
    for (MessageStatus want : STATUSES) {
      Event event = nextEvent(events);
      assertEquals(Event.KindCase.STATUS, event.getKindCase(), event::toString);
      MessageStatusUpdate status = event.getStatus();
      assertEquals(messageId, status.getMessageId());
      assertEquals(want, status.getStatus());
      assertFalse(event.getCursor().isEmpty());
      got.add(event);
    }
    return got;
  }

  @Test
  void sendsTextAndTemplate() throws Exception {
    SendMessageResponse sentTemplate = send(client, template());
    assertTrue(sentTemplate.getMessageId().startsWith("wamid."), sentTemplate::toString);
    assertEquals(contact, sentTemplate.getWaId());

    openWindow();
    SendMessageResponse sentText = send(client, text("Your order has shipped."));
    assertTrue(sentText.getMessageId().startsWith("wamid."));
    assertFalse(sentText.getMessageId().equals(sentTemplate.getMessageId()));
    List<String> received = sandbox.sentMessageIds();
    assertTrue(received.contains(sentTemplate.getMessageId()));
    assertTrue(received.contains(sentText.getMessageId()));
  }

  private static byte[] noisyPng() throws Exception {
    BufferedImage image = new BufferedImage(160, 160, BufferedImage.TYPE_INT_RGB);
    Random random = new Random(3);
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        image.setRGB(x, y, random.nextInt(1 << 24));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }

  @Test
  void uploadsAnImageThroughTheClientStreamAndSendsIt() throws Exception {
    byte[] png = noisyPng();
    assertTrue(png.length > WagateClient.UPLOAD_CHUNK_SIZE, "the image should span several chunks");
    UploadMediaResponse uploaded =
        client.uploadMedia(
            UploadMediaMetadata.newBuilder().setMimeType("image/png").setFilename("noise.png").build(),
            new ByteArrayInputStream(png));
    assertFalse(uploaded.getMediaId().isEmpty());
    assertEquals(png.length, uploaded.getSizeBytes());
    String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(png));
    assertEquals(sha256, uploaded.getSha256());

    openWindow();
    SendMessageResponse sent =
        send(
            client,
            MessageContent.newBuilder()
                .setImage(Image.newBuilder().setMedia(MediaSource.newBuilder().setId(uploaded.getMediaId())).setCaption("noise"))
                .build());
    assertTrue(sandbox.sentMessageIds().contains(sent.getMessageId()));
  }

  @Test
  void statusEventsArriveInOrder() {
    try (EventSubscription events = client.subscribe(fromOldest(EventKind.EVENT_KIND_STATUS))) {
      SendMessageResponse sent = send(client, template());
      List<Event> got = expectStatuses(events, sent.getMessageId());
      assertEquals(contact, got.get(0).getStatus().getRecipientId());
      assertEquals(got.get(2).getCursor(), events.cursor());
    }
  }

  @Test
  void inboundMessagesAreTyped() throws Exception {
    try (EventSubscription events = client.subscribe(fromOldest(EventKind.EVENT_KIND_MESSAGE))) {
      String messageId = sandbox.injectInbound(contact, "Is my order on its way?");
      Event event = nextEvent(events);
      assertEquals(Event.KindCase.MESSAGE, event.getKindCase(), event::toString);
      InboundMessage message = event.getMessage();
      assertEquals(messageId, message.getMessageId());
      assertEquals(contact, message.getFrom());
      assertEquals("Ana", message.getProfileName());
      assertEquals(InboundMessage.ContentCase.TEXT, message.getContentCase());
      assertEquals("Is my order on its way?", message.getText().getBody());
      assertFalse(event.getPhoneNumberId().isEmpty());
      assertFalse(event.getRawJson().isEmpty());
    }
  }

  @Test
  void freeFormOutsideTheWindowFailsWithErrorInfo() throws Exception {
    StatusRuntimeException error =
        assertThrows(StatusRuntimeException.class, () -> send(client, text("hello?")));
    assertEquals(Status.Code.FAILED_PRECONDITION, error.getStatus().getCode());
    com.google.rpc.Status status = StatusProto.fromThrowable(error);
    assertNotNull(status, "the status details are missing");
    List<String> reasons = new ArrayList<>();
    for (Any detail : status.getDetailsList()) {
      if (detail.is(ErrorInfo.class)) {
        reasons.add(detail.unpack(ErrorInfo.class).getReason());
      }
    }
    assertEquals(List.of("WHATSAPP_131047"), reasons);
    assertEquals(
        Optional.of(WagateErrors.REASON_WINDOW_CLOSED), WagateErrors.errorInfo(error).map(ErrorInfo::getReason));
  }

  @Test
  void aWrongApiKeyIsUnauthenticated() {
    try (WagateClient intruder = connect(sandbox.grpcAddress(), "not-the-key")) {
      StatusRuntimeException error = assertThrows(StatusRuntimeException.class, () -> send(intruder, template()));
      assertEquals(Status.Code.UNAUTHENTICATED, error.getStatus().getCode());
      error =
          assertThrows(
              StatusRuntimeException.class, () -> intruder.subscribe(SubscribeEventsRequest.getDefaultInstance()));
      assertEquals(Status.Code.UNAUTHENTICATED, error.getStatus().getCode());
    }
  }

  /**
   * Waits until {@code count} events about the contact follow {@code cursor} in the gateway's
   * log, read directly, not through the proxy.
   */
  private void waitForEvents(String cursor, int count) {
    SubscribeEventsRequest request =
        SubscribeEventsRequest.newBuilder().addContacts(contact).setAfterCursor(cursor).build();
    try (EventSubscription log = client.subscribe(request)) {
      for (int i = 0; i < count; i++) {
        nextEvent(log);
      }
    }
  }

  @Test
  void theSubscriptionResumesAfterTheConnectionIsCut() throws Exception {
    AtomicInteger retries = new AtomicInteger();
    SubscriptionOptions options =
        SubscriptionOptions.defaults()
            .withBackoff(new Backoff(Duration.ofMillis(20), Duration.ofMillis(200), 2, 0))
            .withRetryListener((status, delay) -> retries.incrementAndGet());
    try (TcpProxy proxy = new TcpProxy(sandbox.grpcAddress());
        WagateClient viaProxy = connect(proxy.address(), Sandbox.API_KEY);
        EventSubscription events = viaProxy.subscribe(fromOldest(), options)) {
      List<Event> before = expectStatuses(events, send(client, template()).getMessageId());

      // Cut the stream and keep the gateway unreachable while a second message is sent and its
      // statuses are published.
      proxy.setDown(true);
      proxy.cut();
      String second = send(client, template()).getMessageId();
      waitForEvents(before.get(2).getCursor(), 3);
      proxy.setDown(false);

      List<Event> after = expectStatuses(events, second);
      Optional<Event> extra = events.poll(Duration.ofMillis(300));
      assertTrue(extra.isEmpty(), () -> "unexpected " + extra.get());
      assertTrue(retries.get() > 0, "the subscription never had to reconnect: the cut did not happen");
      HashSet<String> cursors = new HashSet<>();
      for (Event event : before) {
        cursors.add(event.getCursor());
      }
      for (Event event : after) {
        assertTrue(cursors.add(event.getCursor()), "cursor delivered twice: " + event.getCursor());
      }
    }
  }

  @Test
  void closeStopsABlockedReader() throws Exception {
    EventSubscription events = client.subscribe(fromOldest());
    Thread closer =
        new Thread(
            () -> {
              try {
                Thread.sleep(50);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              events.close();
            });
    closer.start();
    assertFalse(events.hasNext());
    closer.join();
  }
}
