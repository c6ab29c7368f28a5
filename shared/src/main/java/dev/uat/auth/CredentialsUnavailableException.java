package dev.uat.auth;

/**
 * A credential could not be checked right now (the database or the api is unreachable): answer 503,
 * never a refusal, and cache nothing.
 */
public final class CredentialsUnavailableException extends Exception {
  private static final long serialVersionUID = 1L;

  public CredentialsUnavailableException(String message, Throwable cause) {
    super(message, cause, false, false);
  }
}
