package com.wagate.client;

import com.google.rpc.ErrorInfo;
import com.wagate.v1.Event;
import com.wagate.v1.EventServiceGrpc;
import com.wagate.v1.SubscribeEventsRequest;
import com.wagate.v1.SubscribeEventsResponse;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A resumable event subscription, made by {@link WagateClient#subscribe}: an {@link Iterator}
 * of events whose {@code hasNext} blocks until the next one.
 *
 * <p>It keeps the cursor of the last event it delivered. When the stream breaks with
 * UNAVAILABLE (the gateway restarts, the connection drops), ends (the gateway shuts down), or
 * fails with RESOURCE_EXHAUSTED / SUBSCRIBER_LAGGED (this subscriber fell behind), it
 * subscribes again after that cursor with exponential backoff: every event the gateway still
 * retains is delivered once, in order. Other errors are thrown as {@link
 * StatusRuntimeException}. Events are requested one at a time, so a slow reader holds the
 * stream back rather than filling memory.
 *
 * <p>Read it from one thread at a time; {@link #close} and {@link #cursor} may be called from
 * any. A subscription that starts at the newest event and breaks before it has delivered one
 * has no cursor to resume from, and starts at the newest again; start at the oldest retained
 * event or after a saved cursor where that gap matters.
 */
public final class EventSubscription implements Iterator<Event>, AutoCloseable {
  private static final long FOREVER = Long.MAX_VALUE / 4;
  /** What {@link #advance} returns when a new stream is accepted. */
  private static final Object ACCEPTED = new Object();

  private final Channel channel;
  private final Runnable reconnectNow;
  private final SubscribeEventsRequest request;
  private final SubscriptionOptions options;
  private final BlockingQueue<Signal> signals = new LinkedBlockingQueue<>();
  private final CountDownLatch closedLatch = new CountDownLatch(1);
  private volatile boolean closed;
  private volatile String cursor;

  // Guarded by this: the call in flight, cancelled by close().
  private ClientCall<SubscribeEventsRequest, SubscribeEventsResponse> call;
  // Read and written by the reading thread only.
  private int generation;
  private int failures;
  private boolean retryPending;
  private long retryAtNanos;
  private Event peeked;

  /** What the listener of call number {@code generation} saw. */
  private interface Signal {
    int generation();
  }

  private record Headers(int generation) implements Signal {}

  private record Message(int generation, SubscribeEventsResponse response) implements Signal {}

  private record Closed(int generation, Status status, Metadata trailers) implements Signal {}

  /** Wakes a blocked reader after {@link #close}. */
  private record Wake(int generation) implements Signal {}

  EventSubscription(
      Channel channel, Runnable reconnectNow, SubscribeEventsRequest request, SubscriptionOptions options) {
    this.channel = channel;
    this.reconnectNow = reconnectNow;
    this.request = request;
    this.options = options;
    this.cursor =
        request.getStartCase() == SubscribeEventsRequest.StartCase.AFTER_CURSOR
            ? request.getAfterCursor()
            : "";
    // Return once the gateway answers with headers: the subscription is registered.
    Object first = advance(System.nanoTime() + FOREVER);
    if (first instanceof Event event) {
      peeked = event;
    }
  }

  /**
   * The cursor of the last event delivered (or the start cursor): subscribe with it as {@code
   * after_cursor} to go on from there later.
   *
   * @return the cursor, empty if there is none yet
   */
  public String cursor() {
    return cursor;
  }

  /**
   * Waits for the next event.
   *
   * @return true once an event is available, false once the subscription is closed
   * @throws StatusRuntimeException for errors that retrying cannot fix
   */
  @Override
  public boolean hasNext() {
    if (peeked == null) {
      peeked = poll(FOREVER).orElse(null);
    }
    return peeked != null;
  }

  /**
   * The next event, waiting for it.
   *
   * @return the event
   * @throws NoSuchElementException once the subscription is closed
   * @throws StatusRuntimeException for errors that retrying cannot fix
   */
  @Override
  public Event next() {
    if (!hasNext()) {
      throw new NoSuchElementException("the subscription is closed");
    }
    Event event = peeked;
    peeked = null;
    return event;
  }

  /**
   * The next event, waiting at most {@code timeout} for it.
   *
   * @param timeout how long to wait
   * @return the event, or empty on timeout or once closed
   * @throws StatusRuntimeException for errors that retrying cannot fix
   */
  public Optional<Event> poll(Duration timeout) {
    if (peeked != null) {
      Event event = peeked;
      peeked = null;
      return Optional.of(event);
    }
    return poll(Math.min(timeout.toNanos(), FOREVER));
  }

  /**
   * The events as a sequential stream, which ends once the subscription is closed.
   *
   * @return the stream
   */
  public Stream<Event> stream() {
    return StreamSupport.stream(
        Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED | Spliterator.NONNULL), false);
  }

  /** Ends the subscription; a blocked reader returns. */
  @Override
  public void close() {
    closed = true;
    closedLatch.countDown();
    synchronized (this) {
      if (call != null) {
        call.cancel("subscription closed", null);
      }
    }
    signals.add(new Wake(-1));
  }

  private Optional<Event> poll(long timeoutNanos) {
    long deadline = System.nanoTime() + timeoutNanos;
    while (true) {
      Object next = advance(deadline);
      if (next instanceof Event event) {
        return Optional.of(event);
      }
      if (next == null) {
        return Optional.empty(); // timeout or closed
      }
    }
  }

  /**
   * Moves the subscription on until an event, the acceptance of a new stream, the deadline or
   * the close, resubscribing as needed.
   *
   * @return the event, {@link #ACCEPTED}, or null on timeout or close
   */
  private Object advance(long deadline) {
    while (!closed) {
      try {
        if (currentCall() == null) {
          if (retryPending) {
            long wait = Math.min(retryAtNanos, deadline) - System.nanoTime();
            if (wait > 0 && closedLatch.await(wait, TimeUnit.NANOSECONDS)) {
              return null;
            }
            if (System.nanoTime() - retryAtNanos < 0) {
              return null; // the deadline came first; the retry waits for the next read
            }
            retryPending = false;
            // This subscription's backoff has run out: do not also wait for the channel's own
            // reconnection backoff, which grows to minutes.
            reconnectNow.run();
          }
          start();
        }
        long remaining = deadline - System.nanoTime();
        Signal signal = remaining > 0 ? signals.poll(remaining, TimeUnit.NANOSECONDS) : null;
        if (signal == null) {
          return null;
        }
        if (signal.generation() != generation) {
          continue; // from a call already given up
        }
        if (signal instanceof Headers) {
          return ACCEPTED;
        }
        if (signal instanceof Message message) {
          requestNext();
          if (!message.response().hasEvent()) {
            continue;
          }
          Event event = message.response().getEvent();
          if (!event.getCursor().isEmpty()) {
            if (event.getCursor().equals(cursor)) {
              continue; // already delivered
            }
            cursor = event.getCursor();
          }
          failures = 0;
          return event;
        }
        if (signal instanceof Closed done) {
          clearCall();
          if (closed) {
            return null;
          }
          scheduleRetry(done.status(), done.trailers());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        close();
        return null;
      }
    }
    return null;
  }

  /** Opens a stream after the last cursor, or at the requested start. */
  private void start() {
    SubscribeEventsRequest.Builder next = request.toBuilder();
    if (!cursor.isEmpty()) {
      next.setAfterCursor(cursor);
    }
    int gen = ++generation;
    ClientCall<SubscribeEventsRequest, SubscribeEventsResponse> started =
        channel.newCall(EventServiceGrpc.getSubscribeEventsMethod(), CallOptions.DEFAULT);
    synchronized (this) {
      if (closed) {
        return;
      }
      call = started;
    }
    started.start(
        new ClientCall.Listener<>() {
          @Override
          public void onHeaders(Metadata headers) {
            signals.add(new Headers(gen));
          }

          @Override
          public void onMessage(SubscribeEventsResponse message) {
            signals.add(new Message(gen, message));
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            signals.add(new Closed(gen, status, trailers));
          }
        },
        new Metadata());
    started.sendMessage(next.build());
    started.halfClose();
    started.request(1);
  }

  private synchronized ClientCall<SubscribeEventsRequest, SubscribeEventsResponse> currentCall() {
    return call;
  }

  private synchronized void requestNext() {
    if (call != null) {
      call.request(1);
    }
  }

  private synchronized void clearCall() {
    call = null;
  }

  /** Decides whether a broken stream can go on, and when; throws if it cannot. */
  private void scheduleRetry(Status status, Metadata trailers) {
    String resumeAfter = "";
    boolean resumable;
    switch (status.getCode()) {
      case OK, UNAVAILABLE -> resumable = true;
      case RESOURCE_EXHAUSTED -> {
        Optional<ErrorInfo> info = WagateErrors.errorInfo(status, trailers);
        resumable =
            info.isPresent() && info.get().getReason().equals(WagateErrors.REASON_SUBSCRIBER_LAGGED);
        resumeAfter = info.map(i -> i.getMetadataOrDefault("last_cursor", "")).orElse("");
      }
      default -> resumable = false;
    }
    if (!resumable) {
      throw status.asRuntimeException(trailers);
    }
    if (cursor.isEmpty() && !resumeAfter.isEmpty()) {
      cursor = resumeAfter;
    }
    if (options.maxRetries() > 0 && failures >= options.maxRetries()) {
      throw (status.isOk()
              ? Status.UNAVAILABLE.withDescription("the gateway keeps ending the subscription")
              : status)
          .asRuntimeException(trailers);
    }
    Duration delay = options.backoff().delay(failures++);
    options.retryListener().onRetry(status, delay);
    retryPending = true;
    retryAtNanos = System.nanoTime() + delay.toNanos();
  }
}
