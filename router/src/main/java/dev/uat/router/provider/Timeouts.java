package dev.uat.router.provider;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How long one deployment may take.
 *
 * @param connect to open a connection
 * @param firstToken from sending the request to the first piece of a streamed answer
 * @param total for the whole call, streamed or not
 */
public record Timeouts(Duration connect, Duration firstToken, Duration total) {
  public static final Duration DEFAULT_CONNECT = Duration.ofSeconds(5);

  public Timeouts {
    requireNonNull(connect, "connect");
    requireNonNull(firstToken, "firstToken");
    requireNonNull(total, "total");
    for (Duration d : new Duration[] {connect, firstToken, total}) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("timeouts must be positive: " + d);
      }
    }
    if (firstToken.compareTo(total) > 0) {
      firstToken = total;
    }
  }

  /** Connect 5 s (or {@code total} if shorter), first token and total {@code total}. */
  public static Timeouts of(Duration total) {
    Duration connect = total.compareTo(DEFAULT_CONNECT) < 0 ? total : DEFAULT_CONNECT;
    return new Timeouts(connect, total, total);
  }
}
