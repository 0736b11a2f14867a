package com.wagate.client;

import io.grpc.Status;
import java.time.Duration;
import java.util.Objects;

/**
 * How an {@link EventSubscription} resubscribes.
 *
 * @param backoff the delays between attempts
 * @param maxRetries how many consecutive failed attempts, with no event in between, before the
 *     error is thrown; 0 retries until the subscription is closed
 * @param retryListener told before each wait to resubscribe (to log or count reconnections)
 */
public record SubscriptionOptions(Backoff backoff, int maxRetries, RetryListener retryListener) {
  /** Told before each wait to resubscribe. */
  @FunctionalInterface
  public interface RetryListener {
    /**
     * Called from the thread that reads the subscription.
     *
     * @param status why the stream broke ({@code OK} when the gateway ended it)
     * @param delay how long the subscription waits before resubscribing
     */
    void onRetry(Status status, Duration delay);
  }

  /** Checks the parameters. */
  public SubscriptionOptions {
    Objects.requireNonNull(backoff, "backoff");
    Objects.requireNonNull(retryListener, "retryListener");
    if (maxRetries < 0) {
      throw new IllegalArgumentException("maxRetries must not be negative");
    }
  }

  /**
   * The defaults: {@link Backoff#DEFAULT}, retry forever, no listener.
   *
   * @return the default options
   */
  public static SubscriptionOptions defaults() {
    return new SubscriptionOptions(Backoff.DEFAULT, 0, (status, delay) -> {});
  }

  /**
   * These options with another backoff.
   *
   * @param backoff the delays between attempts
   * @return the new options
   */
  public SubscriptionOptions withBackoff(Backoff backoff) {
    return new SubscriptionOptions(backoff, maxRetries, retryListener);
  }

  /**
   * These options with a limit on consecutive failed attempts.
   *
   * @param maxRetries the limit; 0 retries until closed
   * @return the new options
   */
  public SubscriptionOptions withMaxRetries(int maxRetries) {
    return new SubscriptionOptions(backoff, maxRetries, retryListener);
  }

  /**
   * These options with a listener told of each retry.
   *
   * @param retryListener the listener
   * @return the new options
   */
  public SubscriptionOptions withRetryListener(RetryListener retryListener) {
    return new SubscriptionOptions(backoff, maxRetries, retryListener);
  }
}
