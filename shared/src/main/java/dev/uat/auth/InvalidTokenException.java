package dev.uat.auth;

import static java.util.Objects.requireNonNull;

/**
 * A credential that is missing, malformed, forged, expired, revoked or meant for something else.
 */
public final class InvalidTokenException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Why a credential is refused, for callers that answer differently (WebSocket close codes). */
  public enum Reason {
    /** Missing, malformed, forged, unknown, or meant for something else. */
    INVALID,
    /** Past its expiry. */
    EXPIRED,
    /** Its login session was ended, or the API key revoked. */
    REVOKED
  }

  private final Reason reason;

  public InvalidTokenException(String message) {
    this(Reason.INVALID, message);
  }

  public InvalidTokenException(Reason reason, String message) {
    super(message, null, false, false);
    this.reason = requireNonNull(reason, "reason");
  }

  public Reason reason() {
    return reason;
  }
}
