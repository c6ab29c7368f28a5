package dev.uat.observatory.testing;

import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.Bytes;
import dev.uat.observatory.model.Event;
import dev.uat.observatory.model.InstrumentationScope;
import dev.uat.observatory.model.Link;
import dev.uat.observatory.model.Resource;
import dev.uat.observatory.model.Span;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Encodes model spans as an OTLP {@code ExportTraceServiceRequest} in protobuf, grouped by resource
 * and scope, as an SDK's exporter does: for tests and benchmarks that send real wire bytes.
 */
public final class OtlpProtoEncoder {
  private OtlpProtoEncoder() {}

  public static byte[] encode(List<Span> spans) {
    Map<Resource, Map<InstrumentationScope, List<Span>>> grouped = new LinkedHashMap<>();
    for (Span span : spans) {
      grouped
          .computeIfAbsent(span.resource(), r -> new LinkedHashMap<>())
          .computeIfAbsent(span.scope(), s -> new java.util.ArrayList<>())
          .add(span);
    }
    Writer request = new Writer();
    grouped.forEach(
        (resource, scopes) -> {
          Writer rs = new Writer();
          Writer r = new Writer();
          attributes(r, 1, resource.attributes());
          rs.message(1, r);
          scopes.forEach(
              (scope, list) -> {
                Writer ss = new Writer();
                Writer s = new Writer();
                s.string(1, scope.name());
                s.string(2, scope.version());
                attributes(s, 3, scope.attributes());
                ss.message(1, s);
                for (Span span : list) {
                  ss.message(2, span(span));
                }
                rs.message(2, ss);
              });
          request.message(1, rs);
        });
    return request.toByteArray();
  }

  private static Writer span(Span span) {
    Writer w = new Writer();
    w.bytes(1, id(span.traceIdHigh(), span.traceIdLow()));
    w.bytes(2, id(span.spanId()));
    w.string(3, span.traceState());
    if (!span.isRoot()) {
      w.bytes(4, id(span.parentSpanId()));
    }
    w.string(5, span.name());
    if (span.kind().ordinal() != 0) {
      w.varint(6, span.kind().ordinal());
    }
    w.fixed64(7, span.startEpochNanos());
    w.fixed64(8, span.endEpochNanos());
    attributes(w, 9, span.attributes());
    for (Event e : span.events()) {
      Writer ev = new Writer();
      ev.fixed64(1, e.epochNanos());
      ev.string(2, e.name());
      attributes(ev, 3, e.attributes());
      w.message(11, ev);
    }
    for (Link l : span.links()) {
      Writer lw = new Writer();
      lw.bytes(1, id(l.traceIdHigh(), l.traceIdLow()));
      lw.bytes(2, id(l.spanId()));
      lw.string(3, l.traceState());
      attributes(lw, 4, l.attributes());
      w.message(13, lw);
    }
    if (span.statusCode().ordinal() != 0 || !span.statusMessage().isEmpty()) {
      Writer st = new Writer();
      st.string(2, span.statusMessage());
      if (span.statusCode().ordinal() != 0) {
        st.varint(3, span.statusCode().ordinal());
      }
      w.message(15, st);
    }
    if (span.flags() != 0) {
      w.fixed32(16, span.flags());
    }
    return w;
  }

  private static void attributes(Writer w, int field, Attributes attributes) {
    for (int i = 0; i < attributes.size(); i++) {
      Writer kv = new Writer();
      kv.string(1, attributes.key(i));
      kv.message(2, anyValue(attributes.value(i)));
      w.message(field, kv);
    }
  }

  private static Writer anyValue(Object value) {
    Writer v = new Writer();
    switch (value) {
      case String s -> v.stringAlways(1, s);
      case Boolean b -> v.varint(2, b ? 1 : 0);
      case Long l -> v.varint(3, l);
      case Double d -> v.fixed64(4, Double.doubleToLongBits(d));
      case Bytes b -> v.bytes(7, b.toByteArray());
      case Attributes a -> {
        Writer list = new Writer();
        attributes(list, 1, a);
        v.message(6, list);
      }
      case List<?> list -> {
        Writer array = new Writer();
        for (Object element : list) {
          array.message(1, anyValue(element));
        }
        v.message(5, array);
      }
      default -> v.stringAlways(1, String.valueOf(value));
    }
    return v;
  }

  private static byte[] id(long... words) {
    byte[] out = new byte[8 * words.length];
    for (int w = 0; w < words.length; w++) {
      for (int i = 0; i < 8; i++) {
        out[8 * w + i] = (byte) (words[w] >>> (56 - 8 * i));
      }
    }
    return out;
  }

  private static final class Writer {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    void tag(int field, int wireType) {
      raw((long) field << 3 | wireType);
    }

    void raw(long value) {
      while ((value & ~0x7FL) != 0) {
        out.write((int) ((value & 0x7F) | 0x80));
        value >>>= 7;
      }
      out.write((int) value);
    }

    void varint(int field, long value) {
      tag(field, 0);
      raw(value);
    }

    void fixed64(int field, long value) {
      tag(field, 1);
      for (int i = 0; i < 8; i++) {
        out.write((int) (value >>> (8 * i)));
      }
    }

    void fixed32(int field, int value) {
      tag(field, 5);
      for (int i = 0; i < 4; i++) {
        out.write(value >>> (8 * i));
      }
    }

    void bytes(int field, byte[] value) {
      tag(field, 2);
      raw(value.length);
      out.writeBytes(value);
    }

    void string(int field, String value) {
      if (!value.isEmpty()) {
        stringAlways(field, value);
      }
    }

    void stringAlways(int field, String value) {
      bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    void message(int field, Writer nested) {
      bytes(field, nested.toByteArray());
    }

    byte[] toByteArray() {
      return out.toByteArray();
    }
  }
}
