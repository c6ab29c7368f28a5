package dev.uat.observatory.model;

import java.util.List;

/**
 * The text form of attribute values, as the Jaeger API and tag searches compare them: strings as
 * they are, booleans and integers as Java and Go print them, bytes in Base64, arrays and key-value
 * lists as JSON.
 */
public final class AttributeText {
  private AttributeText() {}

  /** The text of a value of one of the types {@link Attributes} holds. */
  public static String of(Object value) {
    return switch (value) {
      case String s -> s;
      case Boolean b -> b.toString();
      case Long l -> l.toString();
      case Double d -> d.toString();
      case Bytes b -> b.toBase64();
      default -> {
        StringBuilder out = new StringBuilder();
        json(out, value);
        yield out.toString();
      }
    };
  }

  /**
   * Whether {@code value} reads as {@code text}: equal text, or for a double an equal number (Go
   * and Java print doubles differently: "1" and "1.0").
   */
  public static boolean matches(Object value, String text) {
    if (value instanceof Double d) {
      try {
        return Double.parseDouble(text) == d;
      } catch (NumberFormatException e) {
        return false;
      }
    }
    if (value instanceof String s) {
      return s.equals(text);
    }
    return of(value).equals(text);
  }

  private static void json(StringBuilder out, Object value) {
    switch (value) {
      case String s -> string(out, s);
      case Boolean b -> out.append(b);
      case Long l -> out.append(l);
      case Double d -> out.append(d);
      case Bytes b -> string(out, b.toBase64());
      case Attributes attributes -> {
        out.append('{');
        for (int i = 0; i < attributes.size(); i++) {
          if (i > 0) {
            out.append(',');
          }
          string(out, attributes.key(i));
          out.append(':');
          json(out, attributes.value(i));
        }
        out.append('}');
      }
      case List<?> list -> {
        out.append('[');
        for (int i = 0; i < list.size(); i++) {
          if (i > 0) {
            out.append(',');
          }
          json(out, list.get(i));
        }
        out.append(']');
      }
      default -> string(out, String.valueOf(value));
    }
  }

  private static void string(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
