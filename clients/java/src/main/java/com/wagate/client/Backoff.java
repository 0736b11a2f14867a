package com.wagate.client;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Delays between attempts to resubscribe: {@code initial} after the first failure, multiplied
 * by {@code multiplier} after each further one up to {@code max}, each randomised by
 * {@code ±jitter} (a fraction). It starts again at {@code initial} once an event arrives.
 *
 * @param initial the first delay
 * @param max the longest delay
 * @param multiplier the growth factor, at least 1
 * @param jitter the random spread, from 0 (none) to 1
 */
public record Backoff(Duration initial, Duration max, double multiplier, double jitter) {
  /** 100 ms, doubling up to 10 s, ±20 %. */
  public static final Backoff DEFAULT = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10), 2, 0.2);

  /** Checks the parameters. */
  public Backoff {
    Objects.requireNonNull(initial, "initial");
    Objects.requireNonNull(max, "max");
    if (initial.isNegative() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("need 0 <= initial <= max");
    }
    if (multiplier < 1 || jitter < 0 || jitter > 1) {
      throw new IllegalArgumentException("need multiplier >= 1 and 0 <= jitter <= 1");
    }
  }

  /**
   * The delay before retry number {@code attempt}.
   *
   * @param attempt the number of consecutive failures before this one (0 for the first)
   * @return the delay, jitter included
   */
  public Duration delay(int attempt) {
    double nanos = initial.toNanos();
    for (int i = 0; i < attempt && nanos < max.toNanos(); i++) {
      nanos *= multiplier;
    }
    nanos = Math.min(nanos, max.toNanos());
    if (jitter > 0) {
      nanos *= 1 + jitter * (2 * ThreadLocalRandom.current().nextDouble() - 1);
    }
    return Duration.ofNanos((long) nanos);
  }
}
