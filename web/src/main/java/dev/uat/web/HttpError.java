package dev.uat.web;

import static java.util.Objects.requireNonNull;

/**
 * An error a handler answers with: an HTTP status, a stable machine-readable {@code code} and a
 * message meant for the person calling the API. Rendered by {@link Service} as {@code
 * {"error":{"code","message","type"}}}, never with a stack trace.
 */
public final class HttpError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String code;
  private final long retryAfterSeconds;

  public HttpError(int status, String code, String message) {
    this(status, code, message, -1);
  }

  public HttpError(int status, String code, String message, long retryAfterSeconds) {
    super(requireNonNull(message, "message"), null, false, false);
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("status must be 4xx or 5xx: " + status);
    }
    this.status = status;
    this.code = requireNonNull(code, "code");
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public static HttpError badRequest(String code, String message) {
    return new HttpError(400, code, message);
  }

  public static HttpError invalid(String message) {
    return new HttpError(400, "invalid_request", message);
  }

  public static HttpError unauthorized(String message) {
    return new HttpError(401, "unauthorized", message);
  }

  public static HttpError forbidden(String message) {
    return new HttpError(403, "forbidden", message);
  }

  public static HttpError notFound(String message) {
    return new HttpError(404, "not_found", message);
  }

  public static HttpError conflict(String code, String message) {
    return new HttpError(409, code, message);
  }

  public static HttpError tooLarge(String message) {
    return new HttpError(413, "payload_too_large", message);
  }

  public static HttpError badGateway(String code, String message) {
    return new HttpError(502, code, message);
  }

  public static HttpError unavailable(String code, String message) {
    return new HttpError(503, code, message);
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  /** Seconds for a {@code Retry-After} header, or -1 for none. */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }

  /**
   * The OpenAI-style error {@code type} for this status, so that OpenAI client libraries classify
   * our errors the way they classify OpenAI's.
   */
  public String type() {
    return switch (status) {
      case 400, 404, 405, 409, 413, 415, 422 -> "invalid_request_error";
      case 401 -> "authentication_error";
      case 403 -> "permission_error";
      case 429 -> "rate_limit_error";
      default -> status >= 500 ? "server_error" : "invalid_request_error";
    };
  }
}
