package dev.uat.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every shipped configuration under {@code deploy/} checked by the real program that will read it
 * (Debian's nginx, promtool, amtool, docker-compose), and, for the programs that cannot run here
 * (the OpenTelemetry Collector, Grafana, Tempo), by the structural checks docs/deploy.md lists.
 */
@Timeout(120)
class ConfigCheckTest {
  static final ObjectMapper YAML = new YAMLMapper();
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  @Test
  void nginxAcceptsTheShippedConfigRenderedWithMovedPorts() throws Exception {
    String nginx = Tools.require("nginx", "nginx", "/usr/sbin/nginx");
    Tools.require("envsubst", "envsubst");
    Path prefix = tmp.resolve("nginx");
    var render =
        Tools.run(
            tmp,
            List.of(
                "env",
                "UAT_EDGE_LISTEN=127.0.0.1:18000",
                "UAT_INTERNAL_LISTEN=127.0.0.1:18001",
                "UAT_API_1=127.0.0.1:19999",
                "UAT_API_2=127.0.0.1:19998",
                "UAT_ACCESS_LOG=" + prefix.resolve("logs/access.json"),
                Tools.deploy("nginx", "render").toString(),
                prefix.toString()));
    assertThat(render.exit()).as(render.output()).isZero();
    String conf = Tools.read(prefix.resolve("conf.d/uat.conf"));
    assertThat(conf)
        .contains("listen 127.0.0.1:18000;", "server 127.0.0.1:19998 max_fails=1")
        .doesNotContain("${UAT_");
    var test =
        Tools.run(
            tmp,
            List.of(
                nginx,
                "-t",
                "-p",
                prefix.toString(),
                "-c",
                prefix.resolve("nginx.conf").toString(),
                "-e",
                prefix.resolve("logs/error.log").toString()));
    assertThat(test.exit()).as(test.output()).isZero();
    assertThat(test.output()).contains("syntax is ok", "test is successful");
  }

  @Test
  void nginxTemplatePassesTraceContextAndSetsTheClientAddress() {
    String t = Tools.read(Tools.deploy("nginx", "uat.conf.template"));
    // traceparent/tracestate/baggage pass untouched: nothing clears, rewrites or hides them
    for (String h : List.of("traceparent", "tracestate", "baggage")) {
      assertThat(t)
          .doesNotContainIgnoringCase("proxy_set_header " + h)
          .doesNotContainIgnoringCase("proxy_hide_header " + h);
    }
    assertThat(t).doesNotContain("proxy_pass_request_headers off");
    // a block with any proxy_set_header inherits none from outside: each sets the client address
    for (String block : t.split("\n\s*(location|server)\b")) {
      if (block.contains("proxy_set_header")) {
        assertThat(block).contains("proxy_set_header X-Forwarded-For $remote_addr;");
      }
    }
    assertThat(t)
        .contains(
            "proxy_set_header X-Forwarded-For $remote_addr;",
            "proxy_set_header X-Request-Id $request_id;",
            "$upstream_http_x_trace_id",
            "proxy_set_header Upgrade $http_upgrade;");
  }

  @Test
  void promtoolChecksTheConfigAndRules() throws Exception {
    String promtool = Tools.require("promtool", "promtool");
    Path dir = Tools.deploy("prometheus");
    var config = Tools.run(dir, List.of(promtool, "check", "config", "prometheus.yml"));
    assertThat(config.exit()).as(config.output()).isZero();
    var rules =
        Tools.run(
            dir, List.of(promtool, "check", "rules", "rules/recording.yml", "rules/alerts.yml"));
    assertThat(rules.exit()).as(rules.output()).isZero();
  }

  @Test
  void promtoolUnitTestsCoverEveryAlert() throws Exception {
    String promtool = Tools.require("promtool", "promtool");
    Path dir = Tools.deploy("prometheus");
    var result = Tools.run(dir, List.of(promtool, "test", "rules", "tests/alerts_test.yml"));
    assertThat(result.exit()).as(result.output()).isZero();
    assertThat(result.output()).contains("SUCCESS");

    // every alert of the rules has a test where it fires; the 200 ms rule also one where it does
    // not
    Set<String> alerts = new HashSet<>();
    for (JsonNode g : YAML.readTree(dir.resolve("rules/alerts.yml").toFile()).get("groups")) {
      g.get("rules").forEach(r -> alerts.add(r.get("alert").asText()));
    }
    Set<String> firing = new HashSet<>();
    int notFiring200ms = 0;
    for (JsonNode test :
        YAML.readTree(dir.resolve("tests/alerts_test.yml").toFile()).get("tests")) {
      for (JsonNode a : test.get("alert_rule_test")) {
        if (a.get("exp_alerts").isEmpty()) {
          if (a.get("alertname").asText().equals("UatHighResponseTime")) {
            notFiring200ms++;
          }
        } else {
          firing.add(a.get("alertname").asText());
        }
      }
    }
    assertThat(firing).containsExactlyInAnyOrderElementsOf(alerts);
    assertThat(notFiring200ms).isGreaterThanOrEqualTo(1);
    assertThat(alerts).hasSizeGreaterThanOrEqualTo(10);
  }

  @Test
  void amtoolChecksTheConfigAndEveryRoute() throws Exception {
    String amtool = Tools.require("amtool", "amtool");
    Path dir = Tools.deploy("alertmanager");
    var check = Tools.run(dir, List.of(amtool, "check-config", "alertmanager.yml"));
    assertThat(check.exit()).as(check.output()).isZero();
    assertThat(check.output()).contains("SUCCESS", "2 inhibit rules");
    int cases = 0;
    for (String line : Files.readAllLines(dir.resolve("routes-test.txt"))) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] words = line.trim().split("\\s+");
      List<String> cmd = new ArrayList<>(List.of(amtool, "config", "routes", "test"));
      cmd.add("--config.file=alertmanager.yml");
      cmd.add("--verify.receivers=" + words[0]);
      cmd.addAll(List.of(words).subList(1, words.length));
      var r = Tools.run(dir, cmd);
      assertThat(r.exit()).as("%s → %s", line, r.output()).isZero();
      cases++;
    }
    assertThat(cases).isGreaterThanOrEqualTo(4);
  }

  @Test
  void dockerComposeValidatesTheStack() throws Exception {
    String compose =
        Tools.require("docker-compose (v1, validates without an engine)", "docker-compose");
    var r =
        Tools.run(Tools.deploy("."), List.of(compose, "-f", "compose.yaml", "config", "--quiet"));
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).doesNotContain("will be ignored");
    JsonNode c = YAML.readTree(Tools.deploy("compose.yaml").toFile());
    List<String> expected =
        List.of(
            "postgres",
            "redis",
            "observatory",
            "api-1",
            "api-2",
            "router-1",
            "router-2",
            "realtime-1",
            "realtime-2",
            "web",
            "nginx",
            "otel-collector",
            "jaeger",
            "tempo",
            "zipkin",
            "prometheus",
            "alertmanager",
            "grafana");
    assertThat(names(c.get("services"))).containsAll(expected);
    // every mounted file of ours exists, and every UI is published on loopback only
    for (String service : expected) {
      JsonNode s = c.at("/services/" + service);
      for (JsonNode v : s.path("volumes")) {
        String src = v.asText().split(":")[0];
        if (src.startsWith("./")) {
          assertThat(Tools.deploy(src.substring(2))).as(service + " mounts " + src).exists();
        }
      }
      for (JsonNode port : s.path("ports")) {
        if (!service.equals("nginx")) {
          assertThat(port.asText()).as(service).startsWith("127.0.0.1:");
        }
      }
    }
  }

  @Test
  void collectorPipelinesReferenceDefinedComponents() throws Exception {
    for (String file : List.of("collector.yaml", "collector-dev.yaml")) {
      JsonNode c = YAML.readTree(Tools.deploy("otel-collector", file).toFile());
      Set<String> receivers = names(c.get("receivers"));
      Set<String> processors = names(c.get("processors"));
      Set<String> exporters = names(c.get("exporters"));
      Set<String> connectors = c.has("connectors") ? names(c.get("connectors")) : Set.of();
      Set<String> usedAsExporter = new HashSet<>();
      Set<String> usedAsReceiver = new HashSet<>();
      for (var p : c.at("/service/pipelines").properties()) {
        JsonNode pipe = p.getValue();
        for (JsonNode r : pipe.get("receivers")) {
          assertThat(receivers.contains(r.asText()) || connectors.contains(r.asText()))
              .as("%s: %s receiver %s", file, p.getKey(), r)
              .isTrue();
          usedAsReceiver.add(r.asText());
        }
        JsonNode procs = pipe.path("processors");
        for (JsonNode pr : procs) {
          assertThat(processors).as("%s: %s", file, p.getKey()).contains(pr.asText());
        }
        if (procs.size() > 0 && p.getKey().startsWith("traces") && pipe.has("processors")) {
          if (procs.toString().contains("memory_limiter")) {
            assertThat(procs.get(0).asText())
                .as("memory_limiter first")
                .isEqualTo("memory_limiter");
          }
        }
        for (JsonNode e : pipe.get("exporters")) {
          assertThat(exporters.contains(e.asText()) || connectors.contains(e.asText()))
              .as("%s: %s exporter %s", file, p.getKey(), e)
              .isTrue();
          usedAsExporter.add(e.asText());
        }
      }
      for (String connector : connectors) {
        assertThat(usedAsExporter).as("%s: connector %s fed", file, connector).contains(connector);
        assertThat(usedAsReceiver).as("%s: connector %s read", file, connector).contains(connector);
      }
      assertThat(usedAsExporter).as(file).contains("otlp/observatory");
      assertThat(c.at("/receivers/otlp/protocols/http/endpoint").asText()).endsWith(":4318");
    }
    JsonNode prod = YAML.readTree(Tools.deploy("otel-collector", "collector.yaml").toFile());
    JsonNode policies = prod.at("/processors/tail_sampling/policies");
    assertThat(policies.findValuesAsText("type"))
        .containsExactly("status_code", "latency", "probabilistic");
    assertThat(prod.at("/processors/tail_sampling/policies/1/latency/threshold_ms").asInt())
        .isEqualTo(200);
    assertThat(
            prod.at("/processors/tail_sampling/policies/2/probabilistic/sampling_percentage")
                .asInt())
        .isEqualTo(25);
    assertThat(names(prod.get("connectors"))).contains("spanmetrics", "servicegraph");
    assertThat(names(prod.get("exporters")))
        .contains("otlp/observatory", "otlp/jaeger", "otlp/tempo", "zipkin");
  }

  /**
   * The Collector's scrubbing pattern (RE2 there; this subset reads the same in Java) deletes
   * credentials and keeps the attributes the dashboards and traces need.
   */
  @Test
  void collectorScrubbingDeletesSecretsAndKeepsTokenCounts() throws Exception {
    JsonNode prod = YAML.readTree(Tools.deploy("otel-collector", "collector.yaml").toFile());
    String statement =
        prod.at("/processors/transform~1scrub/trace_statements/1/statements/0").asText();
    String regex = statement.replaceAll("^delete_matching_keys\\(attributes, \"(.*)\"\\)$", "$1");
    Pattern keys = Pattern.compile(regex.replace("\\\\", "\\"));
    for (String secret :
        List.of(
            "http.request.header.authorization",
            "http.request.header.cookie",
            "http.response.header.set-cookie",
            "password",
            "user.password",
            "token",
            "access_token",
            "refresh_token",
            "http.request.header.x-auth-token",
            "api_key",
            "http.request.header.x-api-key",
            "client_secret")) {
      assertThat(keys.matcher(secret).matches()).as(secret + " deleted").isTrue();
    }
    for (String kept :
        List.of(
            "gen_ai.usage.input_tokens",
            "gen_ai.usage.output_tokens",
            "gen_ai.request.max_tokens",
            "http.route",
            "uat.conversation.id",
            "gen_ai.token.type")) {
      assertThat(keys.matcher(kept).matches()).as(kept + " kept").isFalse();
    }
    String emailStatement =
        prod.at("/processors/transform~1scrub/trace_statements/1/statements/1").asText();
    assertThat(emailStatement).startsWith("replace_all_patterns(attributes, \"value\"");
    String emailRegex = emailStatement.split("\"")[3].replace("\\\\", "\\");
    assertThat(Pattern.compile(emailRegex).matcher("user ada@example.com logged in").find())
        .isTrue();
  }

  @Test
  void grafanaDashboardsUseProvisionedDataSourcesAndHaveQueries() throws Exception {
    JsonNode ds =
        YAML.readTree(Tools.deploy("grafana", "provisioning", "datasources", "uat.yaml").toFile());
    Map<String, String> uids = new java.util.HashMap<>();
    ds.get("datasources").forEach(d -> uids.put(d.get("uid").asText(), d.get("type").asText()));
    assertThat(uids)
        .containsEntry("prometheus", "prometheus")
        .containsEntry("observatory", "jaeger")
        .containsEntry("tempo", "tempo");
    assertThat(
            ds.at("/datasources/0/jsonData/exemplarTraceIdDestinations/0/datasourceUid").asText())
        .isEqualTo("observatory");
    JsonNode provider =
        YAML.readTree(Tools.deploy("grafana", "provisioning", "dashboards", "uat.yaml").toFile());
    assertThat(provider.at("/providers/0/options/path").asText())
        .isEqualTo("/var/lib/grafana/dashboards/uat");
    List<Path> files;
    try (Stream<Path> s = Files.list(Tools.deploy("grafana", "dashboards"))) {
      files = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    }
    assertThat(files.stream().map(p -> p.getFileName().toString()))
        .containsExactly("llm-router.json", "overview.json", "realtime.json", "telemetry.json");
    Set<String> dashboardUids = new HashSet<>();
    for (Path f : files) {
      JsonNode d = JSON.readTree(f.toFile());
      assertThat(dashboardUids.add(d.get("uid").asText())).as("unique uid " + f).isTrue();
      assertThat(d.get("panels")).as(f.toString()).isNotEmpty();
      Set<Integer> ids = new HashSet<>();
      for (JsonNode p : d.get("panels")) {
        assertThat(ids.add(p.get("id").asInt())).as("unique panel id in " + f).isTrue();
        assertThat(uids).containsKey(p.at("/datasource/uid").asText());
        assertThat(p.get("targets")).as(p.get("title").asText()).isNotEmpty();
        for (JsonNode t : p.get("targets")) {
          assertThat(uids).containsKey(t.at("/datasource/uid").asText());
          assertThat(t.get("expr").asText()).isNotBlank();
        }
      }
    }
  }

  @Test
  void tempoAndRouterConfigsParse() throws Exception {
    JsonNode tempo = YAML.readTree(Tools.deploy("tempo", "tempo.yaml").toFile());
    assertThat(tempo.at("/server/http_listen_port").asInt()).isEqualTo(3200);
    assertThat(tempo.at("/distributor/receivers/otlp/protocols/grpc/endpoint").asText())
        .endsWith(":4317");
    JsonNode router = YAML.readTree(Tools.deploy("router.yaml").toFile());
    assertThat(router.get("providers")).isNotEmpty();
  }

  static Set<String> names(JsonNode object) {
    Set<String> names = new HashSet<>();
    object.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
