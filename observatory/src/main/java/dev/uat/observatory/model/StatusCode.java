package dev.uat.observatory.model;

/** The OTLP span status codes, in the order of their OTLP enum numbers. */
public enum StatusCode {
  UNSET,
  OK,
  ERROR;

  private static final StatusCode[] VALUES = values();

  /** The code for an OTLP enum number; unknown numbers are {@link #UNSET}. */
  public static StatusCode fromOtlp(long number) {
    return number >= 0 && number < VALUES.length ? VALUES[(int) number] : UNSET;
  }
}
