package dev.uat.observatory.model;

import static java.util.Objects.requireNonNull;

/**
 * The entity that produced spans (OTLP {@code Resource}): its attributes and, taken from them, its
 * {@code service.name}. One instance is shared by every span of a batch, and decoders reuse equal
 * instances across batches.
 */
public final class Resource {
  /** The attribute naming the service. */
  public static final String SERVICE_NAME = AttributeNames.SERVICE_NAME;

  /** The service name of a resource that has none (the OpenTelemetry SDK default). */
  public static final String UNKNOWN_SERVICE = "unknown_service";

  private static final Resource EMPTY = new Resource(UNKNOWN_SERVICE, Attributes.empty());

  private final String serviceName;
  private final Attributes attributes;

  private Resource(String serviceName, Attributes attributes) {
    this.serviceName = serviceName;
    this.attributes = attributes;
  }

  /** A resource with these attributes; its service name is {@code service.name} when a string. */
  public static Resource of(Attributes attributes) {
    requireNonNull(attributes, "attributes");
    if (attributes.isEmpty()) {
      return EMPTY;
    }
    String name = attributes.getString(SERVICE_NAME).orElse("");
    return new Resource(name.isEmpty() ? UNKNOWN_SERVICE : name, attributes);
  }

  /** A resource with no attributes (service name {@value #UNKNOWN_SERVICE}). */
  public static Resource empty() {
    return EMPTY;
  }

  public String serviceName() {
    return serviceName;
  }

  /** All attributes, {@code service.name} included. */
  public Attributes attributes() {
    return attributes;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Resource other && attributes.equals(other.attributes);
  }

  @Override
  public int hashCode() {
    return attributes.hashCode();
  }

  @Override
  public String toString() {
    return "Resource" + attributes;
  }
}
