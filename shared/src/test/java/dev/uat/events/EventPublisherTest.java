package dev.uat.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.uat.telemetry.TestTelemetry;
import dev.uat.telemetry.UatAttributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventPublisherTest {
  @Test
  void publishedEventCarriesTheProducerSpansContext() throws Exception {
    try (TestTelemetry otel = new TestTelemetry("uat-api");
        InProcessEventBus bus = new InProcessEventBus()) {
      List<Event> received = new ArrayList<>();
      bus.subscribe(received::add);
      bus.subscribe(
          e -> {
            throw new IllegalStateException("a broken subscriber does not stop the others");
          });

      new EventPublisher(bus, otel.telemetry())
          .publish("conversation:42", "message.created", Map.of("k", "v"));

      SpanData producer = otel.spans().getFirst();
      assertThat(producer.getName()).isEqualTo("send conversation:{id}");
      assertThat(producer.getKind()).isEqualTo(SpanKind.PRODUCER);
      assertThat(producer.getAttributes().get(UatAttributes.MESSAGING_DESTINATION_TEMPLATE))
          .isEqualTo("conversation:{id}");
      assertThat(producer.getAttributes().get(UatAttributes.MESSAGING_OPERATION_TYPE))
          .isEqualTo("send");
      assertThat(received)
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.channel()).isEqualTo("conversation:42");
                assertThat(e.traceparent())
                    .isEqualTo(
                        String.format(
                            "00-%s-%s-%s",
                            producer.getTraceId(),
                            producer.getSpanId(),
                            producer.getSpanContext().getTraceFlags().asHex()));
              });
    }
  }

  @Test
  void templateHidesIds() {
    assertThat(Event.template("conversation:abc-123")).isEqualTo("conversation:{id}");
    assertThat(Event.template("presence")).isEqualTo("presence");
  }
}
