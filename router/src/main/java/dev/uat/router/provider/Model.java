package dev.uat.router.provider;

import static java.util.Objects.requireNonNull;

/**
 * A model a provider serves.
 *
 * @param id the provider's own name for it, e.g. {@code llama3.2:latest}
 * @param created when it was created or last modified, in epoch seconds (0 when unknown)
 * @param ownedBy the provider name
 */
public record Model(String id, long created, String ownedBy) {
  public Model {
    requireNonNull(id, "id");
    requireNonNull(ownedBy, "ownedBy");
  }
}
