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
        .hasMessageStartingWith("f.yaml at 'rules'");
    assertThatThrownBy(() -> AlertRules.parse("evaluation_interval: 1s\n", "f.yaml"))
        .hasMessage("f.yaml: 'rules' is required");
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
        .hasMessageStartingWith("f.yaml at 'rules[0].window'")
        .hasMessageContaining("invalid duration 'soon'");
    assertThatThrownBy(
            () ->
                AlertRules.parse(
                    "rules:\n  - name: A\n    kind: silence\n    window: -5m\n", "f.yaml"))
        .hasMessage("f.yaml, rule 'A': 'window' must not be negative");
    assertThatThrownBy(() -> AlertRules.parse("rules: [\n", "f.yaml"))
        .hasMessageStartingWith("f.yaml: not valid YAML");
    assertThatThrownBy(
            () ->
                AlertRules.parse(
                    "rules:\n  - {name: A, kind: silence}\n  - {name: A, kind: silence}\n", "f"))
        .hasMessageContaining("the name is used twice");
  }

  @Test
  void unknownKeysAreRefusedWithTheFileAndWhere() {
    assertThatThrownBy(
            () ->
                AlertRules.parse(
                    "rules:\n  - name: A\n    kind: silence\n    windw: 5m\n", "f.yaml"))
        .hasMessageStartingWith("f.yaml: unknown key 'windw'")
        .hasMessageContaining("rules[0]");
    assertThatThrownBy(() -> AlertRules.parse("evaluation_intervl: 1s\nrules: []\n", "f.yaml"))
        .hasMessageStartingWith("f.yaml: unknown key 'evaluation_intervl'");
  }

  @Test
  void durationsAreGoDurationsAndForIsBound() {
    AlertRules rules =
        AlertRules.parse(
            "evaluation_interval: 1.5s\nrules:\n  - name: A\n    kind: error_ratio\n"
                + "    threshold: 0.1\n    window: 1h30m\n    for: 2m\n",
            "f");

    assertThat(rules.evaluationIntervalMillis()).isEqualTo(1_500);
    AlertRule rule = rules.rules().getFirst();
    assertThat(rule.windowMillis()).isEqualTo(5_400_000);
    assertThat(rule.forMillis()).isEqualTo(120_000);
    assertThat(rule.baselineMillis()).isEqualTo(600_000);
    assertThat(rule.minCalls()).isEqualTo(1);
    assertThat(rule.severity()).isEqualTo("warning");
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
