package dev.uat.settings;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.PropertyNamingStrategy;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Collectors;

/**
 * Settings files bound into records by Jackson, the one way YAML is read: unknown keys are refused
 * (a misspelt key is an error, not a silently ignored default), absent keys stay null (the record's
 * compact constructor fills defaults and validates), {@link Duration}s are written as {@link
 * Durations} reads them, and errors name the file and the path of the offending key. A missing
 * primitive is an error: give optional numbers a boxed type and a default in the constructor.
 */
public final class Yaml {
  /** Largest settings file read: settings are small; anything bigger is a mistake. */
  public static final int MAX_BYTES = 1 << 20;

  /**
   * Longest line read. The YAML scanner keeps a run of characters without a space in one window
   * that it copies as it grows, so its cost grows with the square of the run (the fuzzer found a
   * 222 KB line allocating 98 MB); settings lines are short, and a longer one is refused before
   * parsing.
   */
  public static final int MAX_LINE_CHARS = 16 * 1024;

  private static final ObjectMapper SNAKE = mapper(PropertyNamingStrategies.SNAKE_CASE);
  private static final ObjectMapper KEBAB = mapper(PropertyNamingStrategies.KEBAB_CASE);

  private Yaml() {}

  /** Keys as {@code snake_case} (the router's and the alert rules' files). */
  public static <T> T readSnakeCase(String yaml, String source, Class<T> type) {
    return read(SNAKE, yaml, source, type);
  }

  /** Keys as {@code kebab-case} ({@code uat.yaml}). */
  public static <T> T readKebabCase(String yaml, String source, Class<T> type) {
    return read(KEBAB, yaml, source, type);
  }

  /** Reads {@code file} (at most {@link #MAX_BYTES}) as UTF-8 text. */
  public static String text(Path file) {
    try {
      if (Files.size(file) > MAX_BYTES) {
        throw new IllegalArgumentException(file + ": larger than " + MAX_BYTES + " bytes");
      }
      return Files.readString(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private static void checkLines(String yaml, String source) {
    int line = 1;
    int start = 0;
    for (int i = 0; i <= yaml.length(); i++) {
      if (i == yaml.length() || yaml.charAt(i) == '\n') {
        if (i - start > MAX_LINE_CHARS) {
          throw new IllegalArgumentException(
              source + ":" + line + ": a line longer than " + MAX_LINE_CHARS + " characters");
        }
        line++;
        start = i + 1;
      }
    }
  }

  private static <T> T read(ObjectMapper mapper, String yaml, String source, Class<T> type) {
    if (yaml.length() > MAX_BYTES) {
      throw new IllegalArgumentException(source + ": larger than " + MAX_BYTES + " bytes");
    }
    checkLines(yaml, source);
    try {
      T value = mapper.readValue(yaml, type);
      if (value == null) {
        throw new IllegalArgumentException(source + ": empty");
      }
      return value;
    } catch (UnrecognizedPropertyException e) {
      throw new IllegalArgumentException(
          source
              + ": unknown key '"
              + e.getPropertyName()
              + "'"
              + at(e)
              + " (known: "
              + e.getKnownPropertyIds().stream()
                  .map(String::valueOf)
                  .sorted()
                  .collect(Collectors.joining(", "))
              + ")",
          e);
    } catch (MismatchedInputException e) {
      throw new IllegalArgumentException(source + at(e) + ": " + e.getOriginalMessage(), e);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(source + ": not valid YAML: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
    }
  }

  private static String at(MismatchedInputException e) {
    String path =
        e.getPath().stream()
            .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
            .collect(Collectors.joining("."))
            .replace(".[", "[");
    return path.isEmpty() ? "" : " at '" + path + "'";
  }

  private static ObjectMapper mapper(PropertyNamingStrategy naming) {
    YAMLFactory factory =
        YAMLFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build())
            .build();
    SimpleModule durations = new SimpleModule("durations");
    durations.addDeserializer(
        Duration.class,
        new JsonDeserializer<>() {
          @Override
          public Duration deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            try {
              return Durations.parse(p.getValueAsString());
            } catch (IllegalArgumentException e) {
              throw MismatchedInputException.from(p, Duration.class, e.getMessage());
            }
          }
        });
    return YAMLMapper.builder(factory)
        .propertyNamingStrategy(naming)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .addModule(durations)
        .build();
  }
}
