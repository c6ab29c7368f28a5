package dev.uat.observatory.store;

import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.Bytes;
import dev.uat.observatory.model.Event;
import dev.uat.observatory.model.Link;
import dev.uat.observatory.model.Span;
import java.util.List;

/**
 * Approximate heap bytes a stored span holds on its own, for the store's byte budget.
 *
 * <p>Names, attribute keys, scopes and resources are shared between spans (decoders reuse them), so
 * they count as references only; string values count as if unshared. Figures assume compressed
 * references and compact (Latin-1) strings.
 */
final class SpanSizes {
  /** The span record (20 fields) plus its slot in the trace's span array. */
  static final long SPAN = 144;

  /** Per stored trace: map node, key, entry with its summary, span array header, queue nodes. */
  static final long TRACE = 320;

  private SpanSizes() {}

  static long estimate(Span span) {
    long size = SPAN + attributes(span.attributes());
    size += string(span.statusMessage()) + string(span.traceState());
    List<Event> events = span.events();
    if (!events.isEmpty()) {
      size += 16 + 4L * events.size();
      for (Event event : events) {
        size += 32 + attributes(event.attributes());
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

  static long attributes(Attributes attributes) {
    int n = attributes.size();
    if (n == 0) {
      return 0;
    }
    long size = 32 + 8L * n; // the object, its array header and key/value references
    for (int i = 0; i < n; i++) {
      size += value(attributes.value(i));
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

  private static long string(String s) {
    return s.isEmpty() ? 0 : 40 + s.length();
  }
}
