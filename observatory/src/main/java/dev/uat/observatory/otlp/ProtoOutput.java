package dev.uat.observatory.otlp;

import java.io.ByteArrayOutputStream;

/** Writes the few small protobuf messages the receivers answer with. */
final class ProtoOutput {
  private ProtoOutput() {}

  /** A varint field: {@code tag} (see {@link ProtoFields}) and {@code value}. */
  static void writeVarint(ByteArrayOutputStream out, int tag, long value) {
    writeVarint(out, tag);
    writeVarint(out, value);
  }

  /** A length-delimited field: {@code tag} (see {@link ProtoFields}), length and {@code value}. */
  static void writeBytes(ByteArrayOutputStream out, int tag, byte[] value) {
    writeVarint(out, tag);
    writeVarint(out, value.length);
    out.writeBytes(value);
  }

  private static void writeVarint(ByteArrayOutputStream out, long value) {
    while ((value & ~0x7FL) != 0) {
      out.write((int) ((value & 0x7F) | 0x80));
      value >>>= 7;
    }
    out.write((int) value);
  }
}
