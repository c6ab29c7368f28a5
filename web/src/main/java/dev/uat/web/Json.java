package dev.uat.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;

/**
 * The one JSON configuration of the platform: unknown fields ignored (OpenAI clients send many),
 * nulls left out, and limits on what a request may make the parser do.
 */
public final class Json {
  /** Deepest nesting a request body may have. */
  public static final int MAX_DEPTH = 64;

  /** Longest string value a request body may hold (characters). */
  public static final int MAX_STRING_LENGTH = 4 * 1024 * 1024;

  /**
   * Jackson's buffers (a few KiB per parser or generator) are kept in a pool shared by all threads,
   * at most {@value #POOLED_BUFFERS} sets: Jackson's default pool is per thread, and a virtual
   * thread lives for one request, so every read and write allocated fresh buffers (~8 KiB per
   * response the router writes, its largest allocation after the request body). The bound keeps
   * what the pool holds small: a set grows to ~0.5 MiB at most after a large document.
   */
  static final int POOLED_BUFFERS = 16;

  public static final ObjectMapper MAPPER =
      JsonMapper.builder(
              JsonFactory.builder()
                  .recyclerPool(JsonRecyclerPools.newBoundedPool(POOLED_BUFFERS))
                  .build())
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
          .addModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .defaultPropertyInclusion(
              // properties that are null are left out; map entries are kept as they are
              JsonInclude.Value.construct(
                  JsonInclude.Include.NON_NULL, JsonInclude.Include.USE_DEFAULTS))
          .build();

  static {
    // a number or boolean where text is expected is an error, not silently "42"
    MAPPER
        .coercionConfigFor(LogicalType.Textual)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    MAPPER
        .getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder()
                .maxNestingDepth(MAX_DEPTH)
                .maxStringLength(MAX_STRING_LENGTH)
                .maxNumberLength(100)
                .build());
  }

  private Json() {}

  /** Parses a request body; malformed or mistyped input becomes a 400 that says where. */
  public static <T> T read(byte[] body, Class<T> type) {
    if (body.length == 0) {
      throw HttpError.badRequest(
          "invalid_json", "the request body is empty; a JSON object is expected");
    }
    try {
      T value = MAPPER.readValue(body, type);
      if (value == null) {
        throw HttpError.badRequest("invalid_json", "a JSON object is expected, not null");
      }
      return value;
    } catch (JsonProcessingException e) {
      throw HttpError.badRequest("invalid_json", describe(e));
    } catch (IOException e) {
      // from a byte array only a text encoding Jackson cannot decode (e.g. bytes it took for
      // UTF-32): the client's mistake, not ours
      throw HttpError.badRequest("invalid_json", "the request body is not UTF-8 JSON text");
    }
  }

  public static byte[] write(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
    }
  }

  public static String writeString(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
    }
  }

  /** A message about bad JSON that names the place, without Java class names. */
  static String describe(JsonProcessingException e) {
    var loc = e.getLocation();
    String where =
        loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
    if (e instanceof StreamConstraintsException) {
      return "the JSON exceeds a limit (nesting depth "
          + MAX_DEPTH
          + ", string length, number length)";
    }
    if (e instanceof JsonParseException) {
      return "malformed JSON" + where;
    }
    if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
      StringBuilder path = new StringBuilder();
      for (JsonMappingException.Reference ref : m.getPath()) {
        if (ref.getFieldName() != null) {
          path.append(path.isEmpty() ? "" : ".").append(ref.getFieldName());
        } else if (ref.getIndex() >= 0) {
          path.append('[').append(ref.getIndex()).append(']');
        }
      }
      return "field '" + path + "' has the wrong type or format";
    }
    return "the JSON does not have the expected shape" + where;
  }
}
