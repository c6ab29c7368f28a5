package dev.uat.router.openai;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/**
 * The answer of {@code GET /v1/models}: {@code {"object":"list","data":[…]}}.
 *
 * @param object always {@code list}
 * @param data the models
 */
public record ModelList(String object, List<Entry> data) {
  /** A list of these entries. */
  public static ModelList of(List<Entry> data) {
    return new ModelList("list", List.copyOf(data));
  }

  /**
   * One model: {@code {"id","object":"model","created","owned_by"}}.
   *
   * @param id the model's name
   * @param object always {@code model}
   * @param created epoch seconds (0 when unknown)
   * @param ownedBy who serves it
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Entry(String id, String object, long created, String ownedBy) {
    public Entry(String id, long created, String ownedBy) {
      this(id, "model", created, ownedBy);
    }
  }
}
