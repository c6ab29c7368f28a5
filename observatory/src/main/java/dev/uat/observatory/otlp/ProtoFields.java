package dev.uat.observatory.otlp;

import static dev.uat.observatory.otlp.ProtoReader.WIRETYPE_FIXED32;
import static dev.uat.observatory.otlp.ProtoReader.WIRETYPE_FIXED64;
import static dev.uat.observatory.otlp.ProtoReader.WIRETYPE_LENGTH_DELIMITED;
import static dev.uat.observatory.otlp.ProtoReader.WIRETYPE_VARINT;

/**
 * The tags ({@code field_number << 3 | wire_type}) of the protobuf fields the OTLP receivers read
 * and write, one nested class per message, so that the codec reads without the {@code .proto} open
 * (like zipkin's {@code Proto3Fields}). The constants are compile-time ints: a decoder switches on
 * them with no lookup and no allocation.
 *
 * <p>Messages from opentelemetry-proto v1 ({@code collector/trace/v1/trace_service.proto}, {@code
 * trace/v1/trace.proto}, {@code resource/v1/resource.proto}, {@code common/v1/common.proto}), and
 * the {@code google.rpc.Status} that a gRPC error carries.
 */
final class ProtoFields {
  private ProtoFields() {}

  private static final int LEN = WIRETYPE_LENGTH_DELIMITED;

  /** {@code ExportTraceServiceRequest}. */
  static final class ExportTraceServiceRequest {
    static final int RESOURCE_SPANS = 1 << 3 | LEN;

    private ExportTraceServiceRequest() {}
  }

  /** {@code ExportTraceServiceResponse}. */
  static final class ExportTraceServiceResponse {
    static final int PARTIAL_SUCCESS = 1 << 3 | LEN;

    private ExportTraceServiceResponse() {}
  }

  /** {@code ExportTracePartialSuccess}. */
  static final class ExportTracePartialSuccess {
    static final int REJECTED_SPANS = 1 << 3 | WIRETYPE_VARINT;
    static final int ERROR_MESSAGE = 2 << 3 | LEN;

    private ExportTracePartialSuccess() {}
  }

  /** {@code ResourceSpans}. */
  static final class ResourceSpans {
    static final int RESOURCE = 1 << 3 | LEN;
    static final int SCOPE_SPANS = 2 << 3 | LEN;

    private ResourceSpans() {}
  }

  /** {@code Resource}. */
  static final class Resource {
    static final int ATTRIBUTES = 1 << 3 | LEN;

    private Resource() {}
  }

  /** {@code ScopeSpans}. */
  static final class ScopeSpans {
    static final int SCOPE = 1 << 3 | LEN;
    static final int SPANS = 2 << 3 | LEN;

    private ScopeSpans() {}
  }

  /** {@code InstrumentationScope}. */
  static final class InstrumentationScope {
    static final int NAME = 1 << 3 | LEN;
    static final int VERSION = 2 << 3 | LEN;
    static final int ATTRIBUTES = 3 << 3 | LEN;

    private InstrumentationScope() {}
  }

  /** {@code Span}. */
  static final class Span {
    static final int TRACE_ID = 1 << 3 | LEN;
    static final int SPAN_ID = 2 << 3 | LEN;
    static final int TRACE_STATE = 3 << 3 | LEN;
    static final int PARENT_SPAN_ID = 4 << 3 | LEN;
    static final int NAME = 5 << 3 | LEN;
    static final int KIND = 6 << 3 | WIRETYPE_VARINT;
    static final int START_TIME_UNIX_NANO = 7 << 3 | WIRETYPE_FIXED64;
    static final int END_TIME_UNIX_NANO = 8 << 3 | WIRETYPE_FIXED64;
    static final int ATTRIBUTES = 9 << 3 | LEN;
    static final int DROPPED_ATTRIBUTES_COUNT = 10 << 3 | WIRETYPE_VARINT;
    static final int EVENTS = 11 << 3 | LEN;
    static final int DROPPED_EVENTS_COUNT = 12 << 3 | WIRETYPE_VARINT;
    static final int LINKS = 13 << 3 | LEN;
    static final int DROPPED_LINKS_COUNT = 14 << 3 | WIRETYPE_VARINT;
    static final int STATUS = 15 << 3 | LEN;
    static final int FLAGS = 16 << 3 | WIRETYPE_FIXED32;

    private Span() {}
  }

  /** {@code Span.Event}. */
  static final class Event {
    static final int TIME_UNIX_NANO = 1 << 3 | WIRETYPE_FIXED64;
    static final int NAME = 2 << 3 | LEN;
    static final int ATTRIBUTES = 3 << 3 | LEN;
    static final int DROPPED_ATTRIBUTES_COUNT = 4 << 3 | WIRETYPE_VARINT;

    private Event() {}
  }

  /** {@code Span.Link}. */
  static final class Link {
    static final int TRACE_ID = 1 << 3 | LEN;
    static final int SPAN_ID = 2 << 3 | LEN;
    static final int TRACE_STATE = 3 << 3 | LEN;
    static final int ATTRIBUTES = 4 << 3 | LEN;
    static final int DROPPED_ATTRIBUTES_COUNT = 5 << 3 | WIRETYPE_VARINT;
    static final int FLAGS = 6 << 3 | WIRETYPE_FIXED32;

    private Link() {}
  }

  /** {@code Status} (field 1 is reserved). */
  static final class Status {
    static final int MESSAGE = 2 << 3 | LEN;
    static final int CODE = 3 << 3 | WIRETYPE_VARINT;

    private Status() {}
  }

  /** {@code KeyValue}. */
  static final class KeyValue {
    static final int KEY = 1 << 3 | LEN;
    static final int VALUE = 2 << 3 | LEN;

    private KeyValue() {}
  }

  /** {@code AnyValue}: one of these fields; the last one read wins. */
  static final class AnyValue {
    static final int STRING_VALUE = 1 << 3 | LEN;
    static final int BOOL_VALUE = 2 << 3 | WIRETYPE_VARINT;
    static final int INT_VALUE = 3 << 3 | WIRETYPE_VARINT;
    static final int DOUBLE_VALUE = 4 << 3 | WIRETYPE_FIXED64;
    static final int ARRAY_VALUE = 5 << 3 | LEN;
    static final int KVLIST_VALUE = 6 << 3 | LEN;
    static final int BYTES_VALUE = 7 << 3 | LEN;

    private AnyValue() {}
  }

  /** {@code ArrayValue}. */
  static final class ArrayValue {
    static final int VALUES = 1 << 3 | LEN;

    private ArrayValue() {}
  }

  /** {@code KeyValueList}. */
  static final class KeyValueList {
    static final int VALUES = 1 << 3 | LEN;

    private KeyValueList() {}
  }

  /** {@code google.rpc.Status}. */
  static final class RpcStatus {
    static final int CODE = 1 << 3 | WIRETYPE_VARINT;
    static final int MESSAGE = 2 << 3 | LEN;
    static final int DETAILS = 3 << 3 | LEN;

    private RpcStatus() {}
  }

  /** {@code google.protobuf.Any}. */
  static final class Any {
    static final int TYPE_URL = 1 << 3 | LEN;
    static final int VALUE = 2 << 3 | LEN;

    private Any() {}
  }

  /** {@code google.rpc.RetryInfo}. */
  static final class RetryInfo {
    static final int RETRY_DELAY = 1 << 3 | LEN;

    private RetryInfo() {}
  }

  /** {@code google.protobuf.Duration}. */
  static final class Duration {
    static final int SECONDS = 1 << 3 | WIRETYPE_VARINT;

    private Duration() {}
  }
}
