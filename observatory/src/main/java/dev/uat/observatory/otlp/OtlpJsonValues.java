package dev.uat.observatory.otlp;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.uat.observatory.model.Bytes;
import dev.uat.observatory.model.Ids;
import dev.uat.observatory.model.SpanKind;
import dev.uat.observatory.model.StatusCode;
import java.io.IOException;
import java.util.Base64;
import java.util.Locale;

/**
 * The OTLP/JSON value forms {@link OtlpJsonDecoder} reads: objects and arrays that may be null,
 * strings, booleans, 64-bit integers as numbers or strings, doubles with their special names, bytes
 * in base64, enums as numbers or names, hex ids. Each throws {@link OtlpFormatException} naming the
 * field when a value has the wrong type.
 */
final class OtlpJsonValues {
  private OtlpJsonValues() {}

  /** True at the start of an object; false for null; otherwise the body is malformed. */
  static boolean object(JsonParser p, String field) {
    return expect(p, JsonToken.START_OBJECT, field, "an object");
  }

  /** True at the start of an array; false for null; otherwise the body is malformed. */
  static boolean array(JsonParser p, String field) {
    return expect(p, JsonToken.START_ARRAY, field, "an array");
  }

  static boolean expect(JsonParser p, JsonToken start, String field, String what) {
    JsonToken token = p.currentToken();
    if (token == start) {
      return true;
    }
    if (token == JsonToken.VALUE_NULL) {
      return false;
    }
    throw wrongType(field, what);
  }

  static String string(JsonParser p, String field) throws IOException {
    return switch (p.currentToken()) {
      case VALUE_STRING -> p.getText();
      case VALUE_NULL -> "";
      default -> throw wrongType(field, "a string");
    };
  }

  static boolean bool(JsonParser p, String field) throws IOException {
    return switch (p.currentToken()) {
      case VALUE_TRUE -> true;
      case VALUE_FALSE, VALUE_NULL -> false;
      case VALUE_STRING -> Boolean.parseBoolean(p.getText());
      default -> throw wrongType(field, "a boolean");
    };
  }

  /** A 64-bit integer written as a number or a string (signed, or unsigned up to 2^64-1). */
  static long longValue(JsonParser p, String field) throws IOException {
    return switch (p.currentToken()) {
      case VALUE_NUMBER_INT ->
          p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
              ? p.getBigIntegerValue().longValue() // an unsigned value above Long.MAX_VALUE
              : p.getLongValue();
      case VALUE_NUMBER_FLOAT -> p.getDecimalValue().longValue();
      case VALUE_STRING -> parseLong(p.getText().trim(), field);
      case VALUE_NULL -> 0;
      default -> throw wrongType(field, "an integer");
    };
  }

  static long parseLong(String text, String field) {
    try {
      return text.startsWith("-") ? Long.parseLong(text) : Long.parseUnsignedLong(text);
    } catch (NumberFormatException e) {
      throw new OtlpFormatException("field '" + field + "' is not an integer: " + abbreviate(text));
    }
  }

  static double doubleValue(JsonParser p, String field) throws IOException {
    return switch (p.currentToken()) {
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> p.getDoubleValue();
      case VALUE_STRING -> {
        String text = p.getText().trim();
        try {
          yield switch (text) {
            case "NaN" -> Double.NaN;
            case "Infinity" -> Double.POSITIVE_INFINITY;
            case "-Infinity" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(text);
          };
        } catch (NumberFormatException e) {
          throw new OtlpFormatException("field '" + field + "' is not a number");
        }
      }
      case VALUE_NULL -> 0.0;
      default -> throw wrongType(field, "a number");
    };
  }

  static Bytes bytes(JsonParser p, String field) throws IOException {
    String base64 = string(p, field);
    try {
      return Bytes.of(Base64.getDecoder().decode(base64));
    } catch (IllegalArgumentException e) {
      try {
        return Bytes.of(Base64.getUrlDecoder().decode(base64));
      } catch (IllegalArgumentException e2) {
        throw new OtlpFormatException("field '" + field + "' is not base64");
      }
    }
  }

  static SpanKind kind(JsonParser p) throws IOException {
    if (p.currentToken() == JsonToken.VALUE_STRING) {
      String name = p.getText().trim().toUpperCase(Locale.ROOT);
      if (!name.isEmpty() && Character.isDigit(name.charAt(0))) {
        return SpanKind.fromOtlp(parseLong(name, "kind"));
      }
      name = name.startsWith("SPAN_KIND_") ? name.substring("SPAN_KIND_".length()) : name;
      for (SpanKind kind : SpanKind.values()) {
        if (kind.name().equals(name)) {
          return kind;
        }
      }
      return SpanKind.UNSPECIFIED;
    }
    return SpanKind.fromOtlp(longValue(p, "kind"));
  }

  static StatusCode statusCode(JsonParser p) throws IOException {
    if (p.currentToken() == JsonToken.VALUE_STRING) {
      String name = p.getText().trim().toUpperCase(Locale.ROOT);
      if (!name.isEmpty() && Character.isDigit(name.charAt(0))) {
        return StatusCode.fromOtlp(parseLong(name, "code"));
      }
      name = name.startsWith("STATUS_CODE_") ? name.substring("STATUS_CODE_".length()) : name;
      for (StatusCode code : StatusCode.values()) {
        if (code.name().equals(name)) {
          return code;
        }
      }
      return StatusCode.UNSET;
    }
    return StatusCode.fromOtlp(longValue(p, "code"));
  }

  /** A 32-hex-character trace id as {high, low}; null when malformed or all zeros. */
  static long[] traceId(String hex) {
    if (hex.length() != 32) {
      return null;
    }
    try {
      long high = Ids.parseHex(hex, 0, 16);
      long low = Ids.parseHex(hex, 16, 32);
      return high == 0 && low == 0 ? null : new long[] {high, low};
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** A 16-hex-character span id; 0 when malformed (0 is not a valid span id either). */
  static long spanId(String hex) {
    if (hex.length() != 16) {
      return 0;
    }
    try {
      return Ids.parseHex(hex, 0, 16);
    } catch (IllegalArgumentException e) {
      return 0;
    }
  }

  static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  static OtlpFormatException wrongType(String field, String what) {
    return new OtlpFormatException("field '" + field + "' must be " + what);
  }
}
