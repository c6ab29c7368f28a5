package dev.uat.router.provider;

import static java.util.Objects.requireNonNull;

/**
 * A provider could not answer. The message is meant for the API caller: it names the provider and
 * says what happened, without internals. {@link #kind()} says how the router should answer, {@link
 * #errorType()} is the low-cardinality {@code error.type} for telemetry.
 */
public final class ProviderException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong, in the terms the router answers with. */
  public enum Kind {
    /** The provider does not know the model (404). */
    MODEL_NOT_FOUND,
    /** The provider refused the request as invalid, e.g. too long for the context (400). */
    REJECTED,
    /** The provider could not be reached (503). */
    UNAVAILABLE,
    /** The provider did not answer in time (504). */
    TIMEOUT,
    /** The provider answered with an error or with something unreadable (502). */
    FAILED
  }

  private final Kind kind;
  private final String provider;
  private final String errorType;

  public ProviderException(
      Kind kind, String provider, String errorType, String message, Throwable cause) {
    super(requireNonNull(message, "message"), cause);
    this.kind = requireNonNull(kind, "kind");
    this.provider = requireNonNull(provider, "provider");
    this.errorType = requireNonNull(errorType, "errorType");
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
}
