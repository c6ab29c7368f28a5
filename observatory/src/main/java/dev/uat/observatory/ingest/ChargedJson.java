package dev.uat.observatory.ingest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonParserDelegate;
import java.io.IOException;

/**
 * A JSON parser that charges a {@link HeapCharge} for every token it reads, so that a JSON
 * decoder's objects are reserved as they are made: an object {@value #OBJECT} bytes, an array
 * {@value #ARRAY}, a number or boolean {@value HeapCharge#VALUE}, a string its {@link
 * HeapCharge#string} cost (field names too, when asked: Zipkin's tag keys become attribute keys).
 * An upper bound of what the decoders keep or throw away per token, not a measurement. Not
 * thread-safe.
 */
public final class ChargedJson extends JsonParserDelegate {
  static final long OBJECT = 64;
  static final long ARRAY = 32;

  private final HeapCharge charge;
  private final boolean fieldNames;

  private ChargedJson(JsonParser parser, HeapCharge charge, boolean fieldNames) {
    super(parser);
    this.charge = charge;
    this.fieldNames = fieldNames;
  }

  /**
   * @param fieldNames whether field names are charged like strings (they are kept as keys)
   */
  public static JsonParser wrap(JsonParser parser, HeapCharge charge, boolean fieldNames) {
    return new ChargedJson(parser, charge, fieldNames);
  }

  @Override
  public JsonToken nextToken() throws IOException {
    JsonToken token = delegate.nextToken();
    if (token != null) {
      switch (token) {
        case START_OBJECT -> charge.add(OBJECT);
        case START_ARRAY -> charge.add(ARRAY);
        case VALUE_STRING -> charge.string(delegate.getTextLength());
        case FIELD_NAME -> {
          if (fieldNames) {
            charge.string(delegate.getTextLength());
          }
        }
        case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT, VALUE_TRUE, VALUE_FALSE ->
            charge.add(HeapCharge.VALUE);
        default -> {}
      }
    }
    return token;
  }
}
