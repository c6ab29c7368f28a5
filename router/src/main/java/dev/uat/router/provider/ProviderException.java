package dev.uat.router.provider;

import static java.util.Objects.requireNonNull;

/**
 * A provider could not answer. The message is meant for the API caller: it names the provider and
 * says what happened, without internals. {@link #kind()} says how the router should answer and
 * whether another deployment may be tried, {@link #errorType()} is the low-cardinality {@code
 * error.type} for telemetry.
 */
public final class ProviderException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong, in the terms the router answers with. */
  public enum Kind {
    /** The provider does not know the model (404). */
    MODEL_NOT_FOUND(false),
    /** The provider refused the request as invalid, e.g. too long for the context (400). */
    REJECTED(false),
    /** The provider could not be reached (503); another deployment may answer. */
    UNAVAILABLE(true),
    /** The provider did not answer in time (504); another deployment may answer. */
    TIMEOUT(true),
    /** The provider said it is overloaded or rate-limited us (429); another may answer. */
    RATE_LIMITED(true),
    /** The provider answered with a server error or something unreadable (502). */
    FAILED(true);

    private final boolean retriable;

    Kind(boolean retriable) {
      this.retriable = retriable;
    }

    /** Whether another attempt (a retry or a fallback) may succeed where this one failed. */
    public boolean retriable() {
      return retriable;
    }
  }

  private final Kind kind;
  private final String provider;
  private final String errorType;
  private final long retryAfterSeconds;

  public ProviderException(
      Kind kind, String provider, String errorType, String message, Throwable cause) {
    this(kind, provider, errorType, message, cause, -1);
  }

  public ProviderException(
      Kind kind,
      String provider,
      String errorType,
      String message,
      Throwable cause,
      long retryAfterSeconds) {
    super(requireNonNull(message, "message"), cause);
    this.kind = requireNonNull(kind, "kind");
    this.provider = requireNonNull(provider, "provider");
    this.errorType = requireNonNull(errorType, "errorType");
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public Kind kind() {
    return kind;
  }

  /** The provider name, e.g. "ollama". */
  public String provider() {
    return provider;
  }

  /**
   * The {@code error.type}: the upstream HTTP status ("500"), "timeout", or the exception class
   * that broke the call.
   */
  public String errorType() {
    return errorType;
  }

  /** The upstream's {@code Retry-After} in seconds, or -1 when it gave none. */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
