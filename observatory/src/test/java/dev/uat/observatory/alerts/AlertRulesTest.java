package dev.uat.observatory.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.uat.observatory.model.SpanKind;
import org.junit.jupiter.api.Test;

class AlertRulesTest {
  @Test
  void theShippedDefaultsAreTheDocumentedThree() {
    AlertRules rules = AlertRules.defaults();

    assertThat(rules.evaluationIntervalMillis()).isEqualTo(15_000);
    AlertRule latency = rules.rules().get(0);
    assertThat(latency.kind()).isEqualTo(AlertRule.Kind.LATENCY);
    assertThat(latency.percentile()).isEqualTo(95);
    assertThat(latency.threshold()).isEqualTo(200);
    assertThat(latency.windowMillis()).isEqualTo(300_000);
    assertThat(latency.spanKinds()).containsExactlyInAnyOrder(SpanKind.SERVER, SpanKind.CONSUMER);
    AlertRule errors = rules.rules().get(1);
    assertThat(errors.kind()).isEqualTo(AlertRule.Kind.ERROR_RATIO);
    assertThat(errors.threshold()).isEqualTo(0.05);
    assertThat(errors.windowMillis()).isEqualTo(300_000);
    AlertRule silence = rules.rules().get(2);
    assertThat(silence.kind()).isEqualTo(AlertRule.Kind.SILENCE);
    assertThat(silence.windowMillis()).isEqualTo(120_000);
  }

  @Test
  void mistakesAreNamedWithTheRuleAndField() {
    assertThatThrownBy(() -> AlertRules.parse("rules: nope", "f.yaml"))
        .hasMessage("f.yaml: 'rules' must be a list");
    assertThatThrownBy(() -> AlertRules.parse("rules:\n  - kind: latency\n", "f.yaml"))
        .hasMessage("f.yaml, rule 1: 'name' is required");
    assertThatThrownBy(() -> AlertRules.parse("rules:\n  - name: A\n    kind: slow\n", "f.yaml"))
        .hasMessageContaining("rule 'A': kind must be latency, error_ratio or silence");
    assertThatThrownBy(() -> AlertRules.parse("rules:\n  - name: A\n    kind: latency\n", "f.yaml"))
        .hasMessage("f.yaml, rule 'A': 'threshold_ms' is required");
    assertThatThrownBy(
            () ->
                AlertRules.parse(
                    "rules:\n  - name: A\n    kind: error_ratio\n    threshold: 5\n", "f.yaml"))
        .hasMessageContaining("threshold is a ratio between 0 and 1");
    assertThatThrownBy(
            () ->
                AlertRules.parse(
                    "rules:\n  - name: A\n    kind: silence\n    window: soon\n", "f.yaml"))
        .hasMessageContaining("'window' must be a duration");
    assertThatThrownBy(() -> AlertRules.parse("rules: [\n", "f.yaml"))
        .hasMessageStartingWith("f.yaml: not valid YAML");
    assertThatThrownBy(
            () ->
                AlertRules.parse(
                    "rules:\n  - {name: A, kind: silence}\n  - {name: A, kind: silence}\n", "f"))
        .hasMessageContaining("the name is used twice");
  }

  @Test
  void servicePatternsMatchWithStars() {
    AlertRule rule =
        AlertRules.parse("rules:\n  - name: A\n    kind: silence\n    service: 'uat-*'\n", "f")
            .rules()
            .getFirst();

    assertThat(rule.appliesTo("uat-api")).isTrue();
    assertThat(rule.appliesTo("other")).isFalse();
    assertThat(rule.appliesTo("uat-")).isTrue();
  }
}
