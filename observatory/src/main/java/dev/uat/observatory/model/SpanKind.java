package dev.uat.observatory.model;

/** The OTLP span kinds, in the order of their OTLP enum numbers. */
public enum SpanKind {
  UNSPECIFIED,
  INTERNAL,
  SERVER,
  CLIENT,
  PRODUCER,
  CONSUMER;

  private static final SpanKind[] VALUES = values();

  /** The kind for an OTLP enum number; unknown numbers are {@link #UNSPECIFIED}. */
  public static SpanKind fromOtlp(long number) {
    return number >= 0 && number < VALUES.length ? VALUES[(int) number] : UNSPECIFIED;
  }
}
