package dev.uat.observatory.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.semconv.OtelAttributes;
import org.junit.jupiter.api.Test;

class AttributeNamesTest {
  @Test
  void theDerivedTagsAreTheLibrarysKeys() {
    assertThat(AttributeNames.OTEL_STATUS_CODE).isEqualTo(OtelAttributes.OTEL_STATUS_CODE.getKey());
    assertThat(AttributeNames.OTEL_STATUS_DESCRIPTION)
        .isEqualTo(OtelAttributes.OTEL_STATUS_DESCRIPTION.getKey());
    assertThat(AttributeNames.OTEL_SCOPE_NAME).isEqualTo(OtelAttributes.OTEL_SCOPE_NAME.getKey());
    assertThat(AttributeNames.OTEL_SCOPE_VERSION)
        .isEqualTo(OtelAttributes.OTEL_SCOPE_VERSION.getKey());
  }
}
