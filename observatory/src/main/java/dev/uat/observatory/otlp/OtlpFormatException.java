package dev.uat.observatory.otlp;

/** A request body that is not a well-formed OTLP message; the whole request is refused (400). */
final class OtlpFormatException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  OtlpFormatException(String message) {
    super(message, null, false, false);
  }
}
