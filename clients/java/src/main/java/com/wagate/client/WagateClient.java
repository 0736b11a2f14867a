package com.wagate.client;

import com.google.protobuf.ByteString;
import com.wagate.v1.EventServiceGrpc;
import com.wagate.v1.MediaServiceGrpc;
import com.wagate.v1.MessagingServiceGrpc;
import com.wagate.v1.SubscribeEventsRequest;
import com.wagate.v1.TemplateServiceGrpc;
import com.wagate.v1.UploadMediaMetadata;
import com.wagate.v1.UploadMediaRequest;
import com.wagate.v1.UploadMediaResponse;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A connection to a wagate gateway, with a stub for each service.
 *
 * <p>Every call carries the API key as {@code authorization: Bearer <key>}. The client is
 * thread-safe; close it when done.
 *
 * <pre>{@code
 * try (WagateClient client = WagateClient.builder("localhost:50051", "sandbox-api-key")
 *     .usePlaintext().build()) {
 *   client.messaging().sendMessage(SendMessageRequest.newBuilder()
 *       .setTo("+14155550123")
 *       .setContent(MessageContent.newBuilder().setTemplate(
 *           TemplateMessage.newBuilder().setName("hello_world").setLanguageCode("en_US")))
 *       .build());
 * }
 * }</pre>
 */
public final class WagateClient implements AutoCloseable {
  /** The size of the chunks {@link #uploadMedia} sends. */
  public static final int UPLOAD_CHUNK_SIZE = 64 * 1024;

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final ManagedChannel managedChannel;
  private final Channel channel;
  private final MessagingServiceGrpc.MessagingServiceBlockingStub messaging;
  private final MediaServiceGrpc.MediaServiceBlockingStub media;
  private final TemplateServiceGrpc.TemplateServiceBlockingStub templates;
  private final EventServiceGrpc.EventServiceBlockingStub events;

  private WagateClient(ManagedChannel managedChannel, String apiKey) {
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "Bearer " + apiKey);
    this.managedChannel = managedChannel;
    this.channel =
        ClientInterceptors.intercept(managedChannel, MetadataUtils.newAttachHeadersInterceptor(headers));
    this.messaging = MessagingServiceGrpc.newBlockingStub(channel);
    this.media = MediaServiceGrpc.newBlockingStub(channel);
    this.templates = TemplateServiceGrpc.newBlockingStub(channel);
    this.events = EventServiceGrpc.newBlockingStub(channel);
  }

  /**
   * Starts building a client.
   *
   * @param target the gateway's address, {@code host:port} or any gRPC target
   * @param apiKey the API key sent with every call
   * @return a builder that uses TLS with the system's roots unless told otherwise
   */
  public static Builder builder(String target, String apiKey) {
    return new Builder(target, apiKey);
  }

  /** Builds a {@link WagateClient}. */
  public static final class Builder {
    private final String target;
    private final String apiKey;
    private ChannelCredentials credentials = TlsChannelCredentials.create();
    private Consumer<ManagedChannelBuilder<?>> customizer = builder -> {};

    private Builder(String target, String apiKey) {
      this.target = Objects.requireNonNull(target, "target");
      this.apiKey = Objects.requireNonNull(apiKey, "apiKey");
      if (apiKey.isEmpty()) {
        throw new IllegalArgumentException("an API key is required");
      }
    }

    /**
     * Connects in plaintext, for a local {@code wagate sandbox} or a gateway behind a
     * TLS-terminating sidecar on the same host. The API key is then sent unencrypted.
     *
     * @return this builder
     */
    public Builder usePlaintext() {
      this.credentials = InsecureChannelCredentials.create();
      return this;
    }

    /**
     * Sets the channel credentials, e.g. TLS with a private CA or a client certificate.
     *
     * @param credentials the credentials
     * @return this builder
     */
    public Builder credentials(ChannelCredentials credentials) {
      this.credentials = Objects.requireNonNull(credentials, "credentials");
      return this;
    }

    /**
     * Adjusts the channel (keepalive, interceptors, executors, …) before it is built.
     *
     * @param customizer called with the channel builder
     * @return this builder
     */
    public Builder configureChannel(Consumer<ManagedChannelBuilder<?>> customizer) {
      this.customizer = Objects.requireNonNull(customizer, "customizer");
      return this;
    }

    /**
     * Creates the client. It connects lazily: the first call fails if the gateway cannot be
     * reached, not this method.
     *
     * @return the client
     */
    public WagateClient build() {
      ManagedChannelBuilder<?> builder = Grpc.newChannelBuilder(target, credentials);
      customizer.accept(builder);
      return new WagateClient(builder.build(), apiKey);
    }
  }

  /**
   * The channel, with the API key added to every call: build other stubs on it.
   *
   * @return the authenticated channel
   */
  public Channel channel() {
    return channel;
  }

  /**
   * SendMessage, MarkRead, GetConversationWindow.
   *
   * @return the blocking stub
   */
  public MessagingServiceGrpc.MessagingServiceBlockingStub messaging() {
    return messaging;
  }

  /**
   * GetMedia, DownloadMedia, DeleteMedia; upload with {@link #uploadMedia}.
   *
   * @return the blocking stub
   */
  public MediaServiceGrpc.MediaServiceBlockingStub media() {
    return media;
  }

  /**
   * CreateTemplate, GetTemplate, ListTemplates, UpdateTemplate, DeleteTemplate.
   *
   * @return the blocking stub
   */
  public TemplateServiceGrpc.TemplateServiceBlockingStub templates() {
    return templates;
  }

  /**
   * SubscribeEvents (prefer {@link #subscribe}, which resumes) and AckEvents.
   *
   * @return the blocking stub
   */
  public EventServiceGrpc.EventServiceBlockingStub events() {
    return events;
  }

  /**
   * Starts a resumable subscription with the default options; see {@link EventSubscription}.
   *
   * @param request the filters and start position
   * @return the subscription, once the gateway has accepted it
   * @throws StatusRuntimeException for errors that retrying cannot fix
   */
  public EventSubscription subscribe(SubscribeEventsRequest request) {
    return subscribe(request, SubscriptionOptions.defaults());
  }

  /**
   * Starts a resumable subscription; see {@link EventSubscription}. Returns once the gateway has
   * accepted the stream, so every event after that is delivered, even when starting at the
   * newest; while the gateway cannot be reached it retries with backoff.
   *
   * @param request the filters and start position
   * @param options how to resubscribe
   * @return the subscription
   * @throws StatusRuntimeException for errors that retrying cannot fix (UNAUTHENTICATED,
   *     PERMISSION_DENIED, INVALID_ARGUMENT, …)
   */
  public EventSubscription subscribe(SubscribeEventsRequest request, SubscriptionOptions options) {
    return new EventSubscription(channel, managedChannel::resetConnectBackoff, request, options);
  }

  /**
   * Uploads media through the UploadMedia client stream: the metadata, then the bytes of {@code
   * data} in chunks of {@link #UPLOAD_CHUNK_SIZE}, sent as fast as the gateway takes them.
   *
   * @param metadata the MIME type, file name and sending phone number
   * @param data the bytes; not closed
   * @return the media id (usable from the same phone number for 30 days), size and SHA-256
   * @throws IOException if reading {@code data} fails (the upload is then cancelled)
   * @throws StatusRuntimeException if the gateway refuses the upload
   */
  public UploadMediaResponse uploadMedia(UploadMediaMetadata metadata, InputStream data)
      throws IOException {
    Upload upload = new Upload();
    ClientCall<UploadMediaRequest, UploadMediaResponse> call =
        channel.newCall(MediaServiceGrpc.getUploadMediaMethod(), CallOptions.DEFAULT);
    call.start(upload, new Metadata());
    call.request(1);
    try {
      call.sendMessage(UploadMediaRequest.newBuilder().setMetadata(metadata).build());
      byte[] buffer = new byte[UPLOAD_CHUNK_SIZE];
      int n;
      while (!upload.isDone() && (n = data.readNBytes(buffer, 0, buffer.length)) > 0) {
        upload.awaitReady(call);
        if (upload.isDone()) {
          break; // the gateway ended the call early: its status says why
        }
        call.sendMessage(
            UploadMediaRequest.newBuilder().setChunk(ByteString.copyFrom(buffer, 0, n)).build());
      }
      if (!upload.isDone()) {
        call.halfClose();
      }
    } catch (IOException | RuntimeException e) {
      call.cancel("the upload failed on the client", e);
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      call.cancel("interrupted", e);
      throw Status.CANCELLED.withDescription("interrupted").withCause(e).asRuntimeException();
    }
    return upload.await();
  }

  /** The listener of an upload: flow control and the result. */
  private static final class Upload extends ClientCall.Listener<UploadMediaResponse> {
    private UploadMediaResponse response;
    private StatusRuntimeException error;
    private boolean done;

    @Override
    public synchronized void onMessage(UploadMediaResponse message) {
      response = message;
    }

    @Override
    public synchronized void onReady() {
      notifyAll();
    }

    @Override
    public synchronized void onClose(Status status, Metadata trailers) {
      if (!status.isOk()) {
        error = status.asRuntimeException(trailers);
      } else if (response == null) {
        error = Status.INTERNAL.withDescription("the upload ended without a response").asRuntimeException();
      }
      done = true;
      notifyAll();
    }

    synchronized boolean isDone() {
      return done;
    }

    synchronized void awaitReady(ClientCall<?, ?> call) throws InterruptedException {
      while (!done && !call.isReady()) {
        wait(100);
      }
    }

    synchronized UploadMediaResponse await() {
      boolean interrupted = false;
      while (!done) {
        try {
          wait();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      if (error != null) {
        throw error;
      }
      return response;
    }
  }

  /**
   * Closes the channel: calls in flight get five seconds to finish, then are cancelled.
   */
  @Override
  public void close() {
    managedChannel.shutdown();
    try {
      if (!managedChannel.awaitTermination(5, TimeUnit.SECONDS)) {
        managedChannel.shutdownNow();
      }
    } catch (InterruptedException e) {
      managedChannel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
