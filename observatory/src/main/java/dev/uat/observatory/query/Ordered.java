package dev.uat.observatory.query;

import java.util.LinkedHashMap;
import java.util.Map;

/** Insertion-ordered maps for JSON answers whose field order should be stable. */
final class Ordered {
  private Ordered() {}

  /** A map of alternating keys and values, in that order. */
  static Map<String, Object> map(Object... keysAndValues) {
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return map;
  }
}
