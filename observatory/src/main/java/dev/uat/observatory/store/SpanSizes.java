package dev.uat.observatory.store;

import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.Bytes;
import dev.uat.observatory.model.Event;
import dev.uat.observatory.model.InstrumentationScope;
import dev.uat.observatory.model.Link;
import dev.uat.observatory.model.Resource;
import dev.uat.observatory.model.Span;
import java.util.List;

/**
 * Approximate heap bytes what the store keeps holds, for its byte budget.
 *
 * <p>Every string counts {@value #STRING} bytes plus 2 per char, whether or not the decoders share
 * it between spans: a string shared today may be held only by spans that were not charged for it
 * once its first holder is evicted, so "shared" cannot be trusted to stay cheap. The one exception
 * is a span's name when it is the very instance its operation's index entry holds (that entry is
 * charged for it, once). Resources and scopes are charged to each trace that refers to them, once
 * per trace ({@link #resource}, {@link #scope}). Figures assume compressed references.
 */
final class SpanSizes {
  /** The span record (20 fields), its slot in the trace's span array and in its operation array. */
  static final long SPAN = 152;

  /** Per stored trace: map node, key, entry with its summary, span array header, queue nodes. */
  static final long TRACE = 352;

  /**
   * Per service a trace has spans of: its slot in the trace and its node in the service's deque.
   */
  static final long TRACE_SERVICE = 48;

  /** Per resource or scope a trace refers to: its slot in the trace's list. */
  static final long TRACE_SHARED = 8;

  /** A service's index entry, without its name: map node, deque, operations map. */
  static final long SERVICE = 256;

  /** An operation's index entry, without its name: map node, counters. */
  static final long OPERATION = 112;

  /** A string's object and array headers. */
  static final long STRING = 40;

  private SpanSizes() {}

  /** The span's own heap; {@code nameShared} when its name is charged to its operation's entry. */
  static long estimate(Span span, boolean nameShared) {
    long size = SPAN + attributes(span.attributes());
    if (!nameShared) {
      size += string(span.name());
    }
    size += string(span.statusMessage()) + string(span.traceState());
    List<Event> events = span.events();
    if (!events.isEmpty()) {
      size += 16 + 4L * events.size();
      for (Event event : events) {
        size += 32 + string(event.name()) + attributes(event.attributes());
      }
    }
    List<Link> links = span.links();
    if (!links.isEmpty()) {
      size += 16 + 4L * links.size();
      for (Link link : links) {
        size += 48 + string(link.traceState()) + attributes(link.attributes());
      }
    }
    return size;
  }

  static long estimate(Span span) {
    return estimate(span, false);
  }

  static long resource(Resource resource) {
    return 24 + attributes(resource.attributes());
  }

  static long scope(InstrumentationScope scope) {
    return 24 + string(scope.name()) + string(scope.version()) + attributes(scope.attributes());
  }

  static long attributes(Attributes attributes) {
    int n = attributes.size();
    if (n == 0) {
      return 0;
    }
    long size = 32 + 8L * n; // the object, its array header and key/value references
    for (int i = 0; i < n; i++) {
      size += string(attributes.key(i)) + value(attributes.value(i));
    }
    return size;
  }

  private static long value(Object value) {
    return switch (value) {
      case String s -> string(s);
      case Boolean b -> 0; // shared instances
      case Long l -> 16;
      case Double d -> 16;
      case Bytes b -> 32 + b.length();
      case Attributes a -> attributes(a);
      case List<?> list -> {
        long size = 24 + 4L * list.size();
        for (Object element : list) {
          size += value(element);
        }
        yield size;
      }
      default -> 16;
    };
  }

  static long string(String s) {
    return s.isEmpty() ? 0 : STRING + 2L * s.length();
  }
}
