package dev.uat.observatory.otlp;

import dev.uat.observatory.ingest.HeapCharge;
import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.Bytes;
import dev.uat.observatory.model.Event;
import dev.uat.observatory.model.InstrumentationScope;
import dev.uat.observatory.model.Link;
import dev.uat.observatory.model.Resource;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.SpanKind;
import dev.uat.observatory.model.StatusCode;
import dev.uat.observatory.otlp.ProtoFields.AnyValue;
import dev.uat.observatory.otlp.ProtoFields.ArrayValue;
import dev.uat.observatory.otlp.ProtoFields.ExportTraceServiceRequest;
import dev.uat.observatory.otlp.ProtoFields.KeyValue;
import dev.uat.observatory.otlp.ProtoFields.KeyValueList;
import dev.uat.observatory.otlp.ProtoFields.ResourceSpans;
import dev.uat.observatory.otlp.ProtoFields.ScopeSpans;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes the protobuf encoding of {@code ExportTraceServiceRequest} (opentelemetry-proto) into
 * model spans. Unknown fields of every wire type are skipped; fields may come in any order.
 *
 * <p>Thread-safe: one instance serves all requests and keeps the caches that make repeated strings,
 * resources and scopes free; each {@link #decode} call has its own reading state.
 */
final class OtlpProtoDecoder {
  private static final ByteCache.Decoder<String> UTF8 =
      (buf, offset, length) -> new String(buf, offset, length, StandardCharsets.UTF_8);

  /** Keys, span and event names, scope names: few distinct values, repeated in every request. */
  private final ByteCache<String> names = new ByteCache<>(4096, 128);

  /** Short string attribute values (methods, routes, status texts, model names, ...). */
  private final ByteCache<String> values = new ByteCache<>(8192, 48);

  // what the caches can hold is bounded in bytes by slots x longest key: about 1.8 MiB each for
  // names and values, 1.5 MiB for resources (key and decoded value), 0.4 MiB for scopes
  private final ByteCache<Resource> resources = new ByteCache<>(128, 4096);
  private final ByteCache<InstrumentationScope> scopes = new ByteCache<>(128, 1024);

  /**
   * @throws OtlpFormatException when {@code body} is not a well-formed message
   */
  DecodedSpans decode(byte[] body) {
    return decode(body, HeapCharge.unlimited());
  }

  /**
   * Decodes {@code body}, charging what it makes to {@code charge}.
   *
   * @throws OtlpFormatException when {@code body} is not a well-formed message
   * @throws dev.uat.web.HttpError 413 or 429 when {@code charge} cannot grow
   */
  DecodedSpans decode(byte[] body, HeapCharge charge) {
    Parse parse = new Parse(body, charge);
    parse.request();
    return parse.out;
  }

  /** The state of one decode. */
  private final class Parse {
    final ProtoReader in;
    final DecodedSpans out = new DecodedSpans();
    final Attributes.Builder spanAttributes = Attributes.builder();
    final Attributes.Builder eventAttributes = Attributes.builder();
    final Attributes.Builder linkAttributes = Attributes.builder();
    final List<Event> events = new ArrayList<>();
    final List<Link> links = new ArrayList<>();
    final IntPairs scopeSpans = new IntPairs();
    final IntPairs spans = new IntPairs();

    Parse(byte[] body, HeapCharge charge) {
      this.in = new ProtoReader(body);
      this.in.charge = charge;
    }

    void request() {
      while (in.hasMore()) {
        int tag = in.readTag();
        if (tag == ExportTraceServiceRequest.RESOURCE_SPANS) {
          int outer = in.enter();
          resourceSpans();
          in.exit(outer);
        } else {
          in.skip(tag);
        }
      }
    }

    /** ResourceSpans: the resource may follow its scope spans, so those are read last. */
    void resourceSpans() {
      Resource resource = Resource.empty();
      scopeSpans.clear();
      while (in.hasMore()) {
        int tag = in.readTag();
        if (tag == ResourceSpans.RESOURCE) {
          int length = in.readLength();
          resource =
              resources.get(in.buf, in.pos, length, (b, o, l) -> resource(b, o, l, in.charge));
          in.pos += length;
        } else if (tag == ResourceSpans.SCOPE_SPANS) {
          int length = in.readLength();
          scopeSpans.add(in.pos, length);
          in.pos += length;
        } else {
          in.skip(tag);
        }
      }
      int end = in.pos;
      for (int i = 0; i < scopeSpans.size(); i++) {
        in.pos = scopeSpans.offset(i);
        in.limit = in.pos + scopeSpans.length(i);
        scopeSpans(resource);
      }
      in.pos = end;
      in.limit = end;
    }

    /** ScopeSpans: the scope may follow its spans, so those are read last. */
    void scopeSpans(Resource resource) {
      InstrumentationScope scope = InstrumentationScope.empty();
      spans.clear();
      while (in.hasMore()) {
        int tag = in.readTag();
        if (tag == ScopeSpans.SCOPE) {
          int length = in.readLength();
          scope = scopes.get(in.buf, in.pos, length, (b, o, l) -> scope(b, o, l, in.charge));
          in.pos += length;
        } else if (tag == ScopeSpans.SPANS) {
          int length = in.readLength();
          spans.add(in.pos, length);
          in.pos += length;
        } else {
          in.skip(tag);
        }
      }
      for (int i = 0; i < spans.size(); i++) {
        in.pos = spans.offset(i);
        in.limit = in.pos + spans.length(i);
        span(scope, resource);
      }
    }

    void span(InstrumentationScope scope, Resource resource) {
      long traceIdHigh = 0;
      long traceIdLow = 0;
      long spanId = 0;
      long parentSpanId = 0;
      String invalid = null;
      String traceState = "";
      String name = "";
      SpanKind kind = SpanKind.UNSPECIFIED;
      long start = 0;
      long end = 0;
      String statusMessage = "";
      StatusCode statusCode = StatusCode.UNSET;
      int flags = 0;
      int droppedAttributes = 0;
      int droppedEvents = 0;
      int droppedLinks = 0;
      spanAttributes.clear();
      events.clear();
      links.clear();
      while (in.hasMore()) {
        int tag = in.readTag();
        switch (tag) {
          case ProtoFields.Span.TRACE_ID -> {
            int length = in.readIdLength(16);
            if (length == 16) {
              traceIdHigh = in.readLongBigEndian();
              traceIdLow = in.readLongBigEndian();
            } else {
              invalid = "trace_id has " + length + " bytes instead of 16";
            }
          }
          case ProtoFields.Span.SPAN_ID -> {
            int length = in.readIdLength(8);
            if (length == 8) {
              spanId = in.readLongBigEndian();
            } else {
              invalid = "span_id has " + length + " bytes instead of 8";
            }
          }
          case ProtoFields.Span.TRACE_STATE -> traceState = in.readString();
          case ProtoFields.Span.PARENT_SPAN_ID -> {
            int length = in.readIdLength(8);
            if (length == 8) {
              parentSpanId = in.readLongBigEndian();
            } else if (length != 0) {
              invalid = "parent_span_id has " + length + " bytes instead of 8 or 0";
            }
          }
          case ProtoFields.Span.NAME -> name = name();
          case ProtoFields.Span.KIND -> kind = SpanKind.fromOtlp(in.readVarint());
          case ProtoFields.Span.START_TIME_UNIX_NANO -> start = in.readFixed64();
          case ProtoFields.Span.END_TIME_UNIX_NANO -> end = in.readFixed64();
          case ProtoFields.Span.ATTRIBUTES -> keyValue(spanAttributes, 0);
          case ProtoFields.Span.DROPPED_ATTRIBUTES_COUNT ->
              droppedAttributes = (int) in.readVarint();
          case ProtoFields.Span.EVENTS -> event();
          case ProtoFields.Span.DROPPED_EVENTS_COUNT -> droppedEvents = (int) in.readVarint();
          case ProtoFields.Span.LINKS -> {
            if (!link()) {
              droppedLinks++;
            }
          }
          case ProtoFields.Span.DROPPED_LINKS_COUNT -> droppedLinks += (int) in.readVarint();
          case ProtoFields.Span.STATUS -> {
            int outer = in.enter();
            while (in.hasMore()) {
              int statusTag = in.readTag();
              switch (statusTag) {
                case ProtoFields.Status.MESSAGE -> statusMessage = in.readString();
                case ProtoFields.Status.CODE -> statusCode = StatusCode.fromOtlp(in.readVarint());
                default -> in.skip(statusTag);
              }
            }
            in.exit(outer);
          }
          case ProtoFields.Span.FLAGS -> flags = in.readFixed32();
          default -> in.skip(tag);
        }
      }
      if (invalid == null && traceIdHigh == 0 && traceIdLow == 0) {
        invalid = "trace_id is missing or all zeros";
      }
      if (invalid == null && spanId == 0) {
        invalid = "span_id is missing or all zeros";
      }
      if (invalid != null) {
        out.reject(invalid);
        return;
      }
      in.charge.add(HeapCharge.SPAN + (spanAttributes.size() == 0 ? 0 : HeapCharge.OBJECT));
      out.spans.add(
          new Span(
              traceIdHigh,
              traceIdLow,
              spanId,
              parentSpanId,
              name,
              kind,
              start,
              end,
              spanAttributes.build(),
              events.isEmpty() ? List.of() : List.copyOf(events),
              links.isEmpty() ? List.of() : List.copyOf(links),
              statusCode,
              statusMessage,
              traceState,
              flags,
              droppedAttributes,
              droppedEvents,
              droppedLinks,
              scope,
              resource));
    }

    void event() {
      int outer = in.enter();
      long time = 0;
      String name = "";
      int dropped = 0;
      eventAttributes.clear();
      while (in.hasMore()) {
        int tag = in.readTag();
        switch (tag) {
          case ProtoFields.Event.TIME_UNIX_NANO -> time = in.readFixed64();
          case ProtoFields.Event.NAME -> name = name();
          case ProtoFields.Event.ATTRIBUTES -> keyValue(eventAttributes, 0);
          case ProtoFields.Event.DROPPED_ATTRIBUTES_COUNT -> dropped = (int) in.readVarint();
          default -> in.skip(tag);
        }
      }
      in.exit(outer);
      in.charge.add(HeapCharge.EVENT + (eventAttributes.size() == 0 ? 0 : HeapCharge.OBJECT));
      events.add(new Event(time, name, eventAttributes.build(), dropped));
    }

    /** Reads a link; false when its ids are invalid and it was dropped. */
    boolean link() {
      int outer = in.enter();
      long traceIdHigh = 0;
      long traceIdLow = 0;
      long spanId = 0;
      boolean valid = true;
      String traceState = "";
      int dropped = 0;
      int flags = 0;
      linkAttributes.clear();
      while (in.hasMore()) {
        int tag = in.readTag();
        switch (tag) {
          case ProtoFields.Link.TRACE_ID -> {
            if (in.readIdLength(16) == 16) {
              traceIdHigh = in.readLongBigEndian();
              traceIdLow = in.readLongBigEndian();
            } else {
              valid = false;
            }
          }
          case ProtoFields.Link.SPAN_ID -> {
            if (in.readIdLength(8) == 8) {
              spanId = in.readLongBigEndian();
            } else {
              valid = false;
            }
          }
          case ProtoFields.Link.TRACE_STATE -> traceState = in.readString();
          case ProtoFields.Link.ATTRIBUTES -> keyValue(linkAttributes, 0);
          case ProtoFields.Link.DROPPED_ATTRIBUTES_COUNT -> dropped = (int) in.readVarint();
          case ProtoFields.Link.FLAGS -> flags = in.readFixed32();
          default -> in.skip(tag);
        }
      }
      in.exit(outer);
      if (!valid || (traceIdHigh == 0 && traceIdLow == 0) || spanId == 0) {
        return false;
      }
      in.charge.add(HeapCharge.LINK + (linkAttributes.size() == 0 ? 0 : HeapCharge.OBJECT));
      links.add(
          new Link(
              traceIdHigh, traceIdLow, spanId, traceState, linkAttributes.build(), dropped, flags));
      return true;
    }

    String name() {
      return cachedString(in, names);
    }

    void keyValue(Attributes.Builder into, int depth) {
      readKeyValue(in, into, depth);
    }
  }

  /** Decodes a Resource message on a cache miss. */
  private Resource resource(byte[] buf, int offset, int length, HeapCharge charge) {
    ProtoReader in = sub(buf, offset, length, charge);
    charge.add(HeapCharge.OBJECT * 2);
    Attributes.Builder attributes = Attributes.builder();
    while (in.hasMore()) {
      int tag = in.readTag();
      if (tag == ProtoFields.Resource.ATTRIBUTES) {
        readKeyValue(in, attributes, 0);
      } else {
        in.skip(tag);
      }
    }
    return Resource.of(attributes.build());
  }

  /** Decodes an InstrumentationScope message on a cache miss. */
  private InstrumentationScope scope(byte[] buf, int offset, int length, HeapCharge charge) {
    ProtoReader in = sub(buf, offset, length, charge);
    charge.add(HeapCharge.OBJECT * 2);
    String name = "";
    String version = "";
    Attributes.Builder attributes = Attributes.builder();
    while (in.hasMore()) {
      int tag = in.readTag();
      switch (tag) {
        case ProtoFields.InstrumentationScope.NAME -> name = in.readString();
        case ProtoFields.InstrumentationScope.VERSION -> version = in.readString();
        case ProtoFields.InstrumentationScope.ATTRIBUTES -> readKeyValue(in, attributes, 0);
        default -> in.skip(tag);
      }
    }
    return new InstrumentationScope(name, version, attributes.build());
  }

  private static ProtoReader sub(byte[] buf, int offset, int length, HeapCharge charge) {
    ProtoReader in = new ProtoReader(buf);
    in.charge = charge;
    in.pos = offset;
    in.limit = offset + length;
    return in;
  }

  /** Reads a string field through {@code cache}, charging it in full (cached or not). */
  private static String cachedString(ProtoReader in, ByteCache<String> cache) {
    int length = in.readLength();
    in.charge.string(length);
    String s = cache.get(in.buf, in.pos, length, UTF8);
    in.pos += length;
    return s;
  }

  /** Reads a KeyValue (length-prefixed) into {@code into}; a missing value becomes "". */
  private void readKeyValue(ProtoReader in, Attributes.Builder into, int depth) {
    int outer = in.enter();
    String key = "";
    Object value = "";
    while (in.hasMore()) {
      int tag = in.readTag();
      if (tag == KeyValue.KEY) {
        key = cachedString(in, names);
      } else if (tag == KeyValue.VALUE) {
        int valueOuter = in.enter();
        value = anyValue(in, depth);
        in.exit(valueOuter);
      } else {
        in.skip(tag);
      }
    }
    in.exit(outer);
    in.charge.add(HeapCharge.ATTRIBUTE);
    into.put(key, value);
  }

  /** Reads the fields of an AnyValue up to the current limit; the last value field wins. */
  private Object anyValue(ProtoReader in, int depth) {
    if (depth > ProtoReader.MAX_DEPTH) {
      throw new OtlpFormatException("attribute values nested deeper than " + ProtoReader.MAX_DEPTH);
    }
    Object value = "";
    while (in.hasMore()) {
      int tag = in.readTag();
      switch (tag) {
        case AnyValue.STRING_VALUE -> value = cachedString(in, values);
        case AnyValue.BOOL_VALUE -> value = in.readVarint() != 0;
        case AnyValue.INT_VALUE -> {
          in.charge.add(HeapCharge.VALUE);
          value = in.readVarint();
        }
        case AnyValue.DOUBLE_VALUE -> {
          in.charge.add(HeapCharge.VALUE);
          value = Double.longBitsToDouble(in.readFixed64());
        }
        case AnyValue.ARRAY_VALUE -> {
          int outer = in.enter();
          List<Object> list = new ArrayList<>();
          while (in.hasMore()) {
            int elementTag = in.readTag();
            if (elementTag == ArrayValue.VALUES) {
              in.charge.add(HeapCharge.VALUE);
              int elementOuter = in.enter();
              list.add(anyValue(in, depth + 1));
              in.exit(elementOuter);
            } else {
              in.skip(elementTag);
            }
          }
          in.exit(outer);
          in.charge.add(HeapCharge.OBJECT);
          value = List.copyOf(list);
        }
        case AnyValue.KVLIST_VALUE -> {
          int outer = in.enter();
          Attributes.Builder kvlist = Attributes.builder();
          while (in.hasMore()) {
            int entryTag = in.readTag();
            if (entryTag == KeyValueList.VALUES) {
              readKeyValue(in, kvlist, depth + 1);
            } else {
              in.skip(entryTag);
            }
          }
          in.exit(outer);
          in.charge.add(HeapCharge.OBJECT);
          value = kvlist.build();
        }
        case AnyValue.BYTES_VALUE -> {
          int length = in.readLength();
          in.charge.add(HeapCharge.OBJECT + length);
          value = Bytes.copyOf(in.buf, in.pos, length);
          in.pos += length;
        }
        default -> in.skip(tag);
      }
    }
    return value;
  }
}
