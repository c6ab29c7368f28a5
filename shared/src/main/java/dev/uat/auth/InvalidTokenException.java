package dev.uat.auth;

/** A token that is missing, malformed, forged, expired or meant for something else. */
public final class InvalidTokenException extends Exception {
  private static final long serialVersionUID = 1L;

  public InvalidTokenException(String message) {
    super(message, null, false, false);
  }
}
