package dev.uat.observatory.ingest;

/** The encodings a receiver accepts; the code is what the journal records. */
public enum Format {
  OTLP_PROTOBUF(1),
  OTLP_JSON(2),
  ZIPKIN_JSON(3);

  private final int code;

  Format(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  /** The format of a journal code, or null for an unknown code. */
  public static Format of(int code) {
    for (Format format : values()) {
      if (format.code == code) {
        return format;
      }
    }
    return null;
  }
}
