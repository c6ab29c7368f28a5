package dev.uat.observatory.otlp;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Writes protobuf wire format by hand, for decoder tests. */
final class ProtoWriter {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  static ProtoWriter message() {
    return new ProtoWriter();
  }

  ProtoWriter tag(int field, int wireType) {
    return rawVarint((long) field << 3 | wireType);
  }

  ProtoWriter rawVarint(long value) {
    while ((value & ~0x7FL) != 0) {
      out.write((int) ((value & 0x7F) | 0x80));
      value >>>= 7;
    }
    out.write((int) value);
    return this;
  }

  ProtoWriter raw(byte[] bytes) {
    out.writeBytes(bytes);
    return this;
  }

  /** Bytes given as ints (0 to 255), for readable tests. */
  ProtoWriter raw(int... bytes) {
    for (int b : bytes) {
      out.write(b);
    }
    return this;
  }

  ProtoWriter varint(int field, long value) {
    return tag(field, ProtoReader.WIRETYPE_VARINT).rawVarint(value);
  }

  ProtoWriter fixed64(int field, long value) {
    tag(field, ProtoReader.WIRETYPE_FIXED64);
    return raw(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array());
  }

  ProtoWriter fixed32(int field, int value) {
    tag(field, ProtoReader.WIRETYPE_FIXED32);
    return raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array());
  }

  ProtoWriter bytes(int field, byte[] value) {
    tag(field, ProtoReader.WIRETYPE_LENGTH_DELIMITED).rawVarint(value.length);
    return raw(value);
  }

  ProtoWriter string(int field, String value) {
    return bytes(field, value.getBytes(StandardCharsets.UTF_8));
  }

  ProtoWriter message(int field, ProtoWriter nested) {
    return bytes(field, nested.toByteArray());
  }

  byte[] toByteArray() {
    return out.toByteArray();
  }

  // --- OTLP building blocks ---

  static byte[] id(long... words) {
    ByteBuffer buffer = ByteBuffer.allocate(8 * words.length);
    for (long word : words) {
      buffer.putLong(word);
    }
    return buffer.array();
  }

  static ProtoWriter stringAttribute(String key, String value) {
    return message().string(1, key).message(2, message().string(1, value));
  }

  static ProtoWriter attribute(String key, ProtoWriter anyValue) {
    return message().string(1, key).message(2, anyValue);
  }

  /** A span with ids, a name and times. */
  static ProtoWriter span(byte[] traceId, byte[] spanId, String name) {
    return message()
        .bytes(1, traceId)
        .bytes(2, spanId)
        .string(5, name)
        .varint(6, 2)
        .fixed64(7, 1_000_000_000L)
        .fixed64(8, 3_000_000_000L);
  }

  /** An ExportTraceServiceRequest with one resource (service {@code service}) and one scope. */
  static byte[] request(String service, ProtoWriter... spans) {
    ProtoWriter scopeSpans = message().message(1, message().string(1, "scope"));
    for (ProtoWriter span : spans) {
      scopeSpans.message(2, span);
    }
    ProtoWriter resourceSpans =
        message()
            .message(1, message().message(1, stringAttribute("service.name", service)))
            .message(2, scopeSpans);
    return message().message(1, resourceSpans).toByteArray();
  }
}
