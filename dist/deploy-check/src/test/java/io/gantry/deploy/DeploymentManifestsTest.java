package io.gantry.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.gantry.server.config.CertificateConfig;
import io.gantry.server.config.ConfigLoader;
import io.gantry.server.config.ConfigProblem;
import io.gantry.server.config.GantryConfig;
import io.gantry.server.config.ListenerConfig;
import io.gantry.server.config.UpstreamConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * dist/kubernetes and dist/compose, checked without a cluster or a container engine: every
 * manifest read strictly into the Kubernetes model (unknown fields and wrong types fail), the
 * facts the deployment promises (2 replicas, probes, drain, non-root, read-only root), every name
 * that ties the files together resolved, and the gantry configuration each one embeds run
 * through gantry's own checker, its ports and paths matched against the manifests.
 */
class DeploymentManifestsTest {
  private static final Path DIST = Path.of(System.getProperty("basedir", ".")).resolve("..").normalize();
  private static final Path KUBERNETES = DIST.resolve("kubernetes");
  private static final Path COMPOSE = DIST.resolve("compose");
  /** The image's entrypoint: bin/gantry run /etc/gantry/gantry.conf (dist/image/pom.xml). */
  private static final String CONFIG_DIR = "/etc/gantry";

  @TempDir
  static Path tmp;

  private static Deployment deployment;
  private static ConfigMap configMap;
  private static Service service;
  private static PodDisruptionBudget pdb;
  private static final Map<String, Secret> SECRETS = new HashMap<>();

  @BeforeAll
  static void readManifests() throws IOException {
    List<Path> files;
    try (Stream<Path> list = Files.list(KUBERNETES)) {
      files = list.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertFalse(files.isEmpty(), "no manifests in " + KUBERNETES);
    for (Path file : files) {
      int i = 0;
      for (JsonNode doc : StrictManifests.documents(file)) {
        String where = file.getFileName() + " document " + ++i;
        String kind = doc.path("kind").asString("");
        String apiVersion = doc.path("apiVersion").asString("");
        switch (apiVersion + " " + kind) {
          case "apps/v1 Deployment" -> deployment = only(deployment, StrictManifests.read(doc, Deployment.class, where), where);
          case "v1 ConfigMap" -> configMap = only(configMap, StrictManifests.read(doc, ConfigMap.class, where), where);
          case "v1 Service" -> service = only(service, StrictManifests.read(doc, Service.class, where), where);
          case "policy/v1 PodDisruptionBudget" -> pdb = only(pdb, StrictManifests.read(doc, PodDisruptionBudget.class, where), where);
          case "v1 Secret" -> {
            Secret s = StrictManifests.read(doc, Secret.class, where);
            assertTrue(SECRETS.put(s.getMetadata().getName(), s) == null, where + ": a second Secret " + s.getMetadata().getName());
          }
          default -> fail(where + ": unexpected apiVersion/kind '" + apiVersion + " " + kind + "'");
        }
        assertNotNull(doc.path("metadata").path("name").asString(null), where + ": no metadata.name");
      }
    }
    assertNotNull(deployment, "no Deployment");
    assertNotNull(configMap, "no ConfigMap");
    assertNotNull(service, "no Service");
    assertNotNull(pdb, "no PodDisruptionBudget");
    assertFalse(SECRETS.isEmpty(), "no Secret");
  }

  private static <T> T only(T existing, T next, String where) {
    assertTrue(existing == null, where + ": a second " + next.getClass().getSimpleName());
    return next;
  }

  private static PodSpec pod() {
    return deployment.getSpec().getTemplate().getSpec();
  }

  private static Container gantry() {
    List<Container> containers = pod().getContainers();
    assertEquals(1, containers.size(), "one container in the pod");
    return containers.get(0);
  }

  /** The ConfigMap's gantry.conf as the container sees it, through gantry's own checker. */
  private static GantryConfig kubernetesConfig() throws IOException {
    String text = configMap.getData().get("gantry.conf");
    assertNotNull(text, "the ConfigMap has no gantry.conf (the image runs " + CONFIG_DIR + "/gantry.conf)");
    Map<String, String> env = new HashMap<>();
    for (EnvVar e : gantry().getEnv()) {
      env.put(e.getName(), e.getValue());
    }
    return checked(text, "configmap-gantry.conf", env);
  }

  private static GantryConfig checked(String text, String name, Map<String, String> env) throws IOException {
    Path file = Files.createDirectories(tmp.resolve(name.replace('/', '_'))).resolve("gantry.conf");
    Files.writeString(file, text);
    // Certificates live in the cluster (Secrets) or on the host: file checks off, like `check` elsewhere.
    ConfigLoader loader = ConfigLoader.defaults().withFileChecks(false).withVariables(env);
    List<ConfigProblem> problems = loader.check(file);
    assertTrue(problems.stream().noneMatch(ConfigProblem::isError), name + ": gantry check found " + problems);
    assertTrue(problems.isEmpty(), name + ": gantry check warns " + problems);
    return loader.load(file);
  }

  private static Map<String, Integer> containerPorts() {
    return gantry().getPorts().stream().collect(Collectors.toMap(ContainerPort::getName, ContainerPort::getContainerPort));
  }

  /** A probe's or Service's port: a number or the name of a container port. */
  private static int resolve(IntOrString port) {
    if (port.getIntVal() != null) {
      return port.getIntVal();
    }
    Integer p = containerPorts().get(port.getStrVal());
    assertNotNull(p, "port '" + port.getStrVal() + "' names no container port (" + containerPorts() + ")");
    return p;
  }

  @Test
  void deploymentRunsTwoDrainingNonRootReplicas() {
    assertEquals(2, deployment.getSpec().getReplicas(), "replicas");
    Map<String, String> podLabels = deployment.getSpec().getTemplate().getMetadata().getLabels();
    assertTrue(podLabels.entrySet().containsAll(deployment.getSpec().getSelector().getMatchLabels().entrySet()),
        "the Deployment's selector matches its own pods");

    Container c = gantry();
    Probe readiness = c.getReadinessProbe();
    Probe liveness = c.getLivenessProbe();
    assertNotNull(readiness, "readiness probe");
    assertNotNull(liveness, "liveness probe");
    assertEquals("/ready", readiness.getHttpGet().getPath());
    assertEquals("/ping", liveness.getHttpGet().getPath());

    assertNotNull(c.getLifecycle().getPreStop(), "a preStop pause so the endpoint leaves the Service before SIGTERM");

    assertEquals(Boolean.TRUE, pod().getSecurityContext().getRunAsNonRoot(), "runAsNonRoot");
    Long uid = pod().getSecurityContext().getRunAsUser();
    assertTrue(uid != null && uid != 0, "runAsUser is not root");
    assertEquals(Boolean.TRUE, c.getSecurityContext().getReadOnlyRootFilesystem(), "readOnlyRootFilesystem");
    assertEquals(Boolean.FALSE, c.getSecurityContext().getAllowPrivilegeEscalation(), "allowPrivilegeEscalation");

    Quantity memRequest = c.getResources().getRequests().get("memory");
    Quantity memLimit = c.getResources().getLimits().get("memory");
    assertNotNull(memRequest, "a memory request");
    assertNotNull(c.getResources().getRequests().get("cpu"), "a cpu request");
    // Measured RSS: 103-111 MiB after 4 parallel image pulls (dist/image/prove.sh); the request has headroom.
    assertTrue(memRequest.getNumericalAmount().longValue() >= 128L << 20, "memory request >= 128Mi, got " + memRequest);
    assertTrue(memLimit.getNumericalAmount().compareTo(memRequest.getNumericalAmount()) >= 0, "memory limit >= request");
  }

  @Test
  void probesAndPortsMatchTheConfigMapsGantryConfig() throws IOException {
    GantryConfig config = kubernetesConfig();
    assertTrue(config.reload().watch(), "reload.watch: a ConfigMap or Secret update is reloaded without a restart");

    // Probes reach the admin listener on the pod's address only if it binds all interfaces.
    assertTrue(config.admin().enabled(), "admin listener");
    assertEquals("0.0.0.0", config.admin().host(), "admin host with the Deployment's environment");
    assertEquals(config.admin().port(), resolve(gantry().getReadinessProbe().getHttpGet().getPort()), "readiness probe port");
    assertEquals(config.admin().port(), resolve(gantry().getLivenessProbe().getHttpGet().getPort()), "liveness probe port");

    Set<Integer> listenerPorts = config.listeners().stream().map(ListenerConfig::port).collect(Collectors.toCollection(TreeSet::new));
    Set<Integer> declared = new TreeSet<>(containerPorts().values());
    Set<Integer> expected = new TreeSet<>(listenerPorts);
    expected.add(config.admin().port());
    assertEquals(expected, declared, "container ports = the config's listeners + admin");

    // Service: TCP passthrough to the listeners; the admin port stays private; selector finds the pods.
    Map<Integer, ListenerConfig> byPort = config.listeners().stream().collect(Collectors.toMap(ListenerConfig::port, Function.identity()));
    for (ServicePort sp : service.getSpec().getPorts()) {
      assertEquals("TCP", sp.getProtocol(), "Service port " + sp.getName());
      int target = resolve(sp.getTargetPort());
      ListenerConfig listener = byPort.get(target);
      assertNotNull(listener, "Service port " + sp.getName() + " targets " + target + ", no listener of the config");
      assertEquals(sp.getPort() == 443, listener.tls(), "Service port " + sp.getPort() + " -> listener " + listener.name() + " TLS");
      if (listener.redirects()) {
        assertTrue(service.getSpec().getPorts().stream().anyMatch(p -> p.getPort() == listener.redirectTo()),
            "listener " + listener.name() + " redirects to port " + listener.redirectTo() + ", which the Service does not serve");
      }
    }
    assertFalse(service.getSpec().getPorts().stream().anyMatch(p -> resolve(p.getTargetPort()) == config.admin().port()),
        "the admin port is not in the Service");
    Map<String, String> podLabels = deployment.getSpec().getTemplate().getMetadata().getLabels();
    assertTrue(podLabels.entrySet().containsAll(service.getSpec().getSelector().entrySet()), "the Service selects the pods");
    assertTrue(podLabels.entrySet().containsAll(pdb.getSpec().getSelector().getMatchLabels().entrySet()), "the PDB selects the pods");
    assertTrue(pdb.getSpec().getMinAvailable().getIntVal() < deployment.getSpec().getReplicas(),
        "the PDB lets one replica go at a time");

    // Stopping: the preStop pause + shutdown-grace fit in the grace period (else SIGKILL cuts transfers).
    List<String> preStop = gantry().getLifecycle().getPreStop().getExec().getCommand();
    long pause = Long.parseLong(preStop.get(preStop.size() - 1));
    assertTrue(pod().getTerminationGracePeriodSeconds() > pause + config.shutdownGrace().toSeconds(),
        "terminationGracePeriodSeconds > preStop " + pause + " s + shutdown-grace " + config.shutdownGrace());
  }

  @Test
  void mountsGiveGantryItsFilesAndSomewhereToWrite() throws IOException {
    GantryConfig config = kubernetesConfig();
    Map<String, Volume> volumes = pod().getVolumes().stream().collect(Collectors.toMap(Volume::getName, Function.identity()));
    Map<String, VolumeMount> mounts = new HashMap<>();
    for (VolumeMount m : gantry().getVolumeMounts()) {
      assertNotNull(volumes.get(m.getName()), "mount " + m.getMountPath() + " names no volume " + m.getName());
      mounts.put(m.getMountPath(), m);
    }
    VolumeMount configMount = mounts.get(CONFIG_DIR);
    assertNotNull(configMount, "the config is mounted at " + CONFIG_DIR);
    assertEquals(configMap.getMetadata().getName(), volumes.get(configMount.getName()).getConfigMap().getName(),
        CONFIG_DIR + " is the ConfigMap");
    // A subPath mount never sees the kubelet's ..data swap, so updates would not reach gantry.
    assertTrue(mounts.values().stream().allMatch(m -> m.getSubPath() == null), "no subPath mounts");

    // Every certificate the config names is a file some Secret projects into its mount.
    Map<String, String> projected = new HashMap<>();
    for (VolumeMount m : mounts.values()) {
      Volume v = volumes.get(m.getName());
      List<VolumeProjection> sources = v.getProjected() != null ? v.getProjected().getSources() : List.of();
      for (VolumeProjection p : sources) {
        if (p.getSecret() == null) {
          continue;
        }
        Secret secret = SECRETS.get(p.getSecret().getName());
        assertNotNull(secret, "projected Secret " + p.getSecret().getName() + " is not in the manifests");
        for (KeyToPath item : p.getSecret().getItems()) {
          assertTrue(secret.getStringData().containsKey(item.getKey()) || secret.getData().containsKey(item.getKey()),
              "Secret " + p.getSecret().getName() + " has no key " + item.getKey());
          projected.put(m.getMountPath() + "/" + item.getPath(), p.getSecret().getName());
        }
      }
    }
    List<CertificateConfig> certificates = config.tls().certificates();
    assertFalse(certificates.isEmpty(), "the config serves certificates");
    for (CertificateConfig cert : certificates) {
      for (Path file : new Path[] {cert.cert(), cert.key()}) {
        assertTrue(projected.containsKey(file.toString()), file + " (in the config) is not projected from a Secret: " + projected.keySet());
      }
    }
    for (Secret s : SECRETS.values()) {
      assertEquals("kubernetes.io/tls", s.getType(), s.getMetadata().getName());
    }

    // readOnlyRootFilesystem: what gantry writes goes to emptyDirs (JVM temp files; PID/admin files).
    for (String dir : List.of("/tmp", "/opt/gantry/run")) {
      VolumeMount m = mounts.get(dir);
      assertNotNull(m, "a writable volume at " + dir);
      assertNotNull(volumes.get(m.getName()).getEmptyDir(), dir + " is an emptyDir");
    }
  }

  @Test
  void strictReadingRejectsWhatAClusterWould() throws IOException {
    String good = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: { name: x }
        spec:
          replicas: 2
          selector: { matchLabels: { a: b } }
          template:
            metadata: { labels: { a: b } }
            spec:
              containers:
                - name: c
                  image: i
                  readinessProbe: { httpGet: { path: /ready, port: 9090 } }
        """;
    assertEquals(2, StrictManifests.read(doc(good), Deployment.class, "good").getSpec().getReplicas());
    for (String[] bad : new String[][] {
        {"readinessProbe:", "readinesProbe:"},            // misspelt field
        {"path: /ready", "paht: /ready"},                  // misspelt nested field
        {"replicas: 2", "replicas: two"},                  // wrong type
        {"replicas: 2", "replicas: \"2\""},                // string where the schema wants an integer
        {"image: i", "image: i\n          securityContext: { readOnlyRootFileSystem: true }"}}) {
      String text = good.replace(bad[0], bad[1]);
      assertFalse(text.equals(good), "test row " + bad[1]);
      assertThrows(AssertionError.class, () -> StrictManifests.read(doc(text), Deployment.class, bad[1]), bad[1]);
    }
  }

  private static JsonNode doc(String yaml) throws IOException {
    Path f = Files.createTempFile(tmp, "doc", ".yaml");
    Files.writeString(f, yaml);
    return StrictManifests.documents(f).get(0);
  }

  // --- compose ---------------------------------------------------------------------------------

  /** The Compose Specification's top-level and service keys (a subset: those a user may expect). */
  private static final Set<String> COMPOSE_TOP = Set.of("name", "services", "volumes", "networks", "configs", "secrets");
  private static final Set<String> SERVICE_KEYS = Set.of("image", "build", "command", "entrypoint", "environment",
      "env_file", "ports", "expose", "volumes", "tmpfs", "read_only", "user", "restart", "depends_on", "healthcheck",
      "ulimits", "stop_signal", "stop_grace_period", "networks", "labels", "cap_drop", "cap_add", "security_opt",
      "mem_limit", "mem_reservation", "cpus", "logging", "container_name", "hostname", "init", "extra_hosts");

  @Test
  void composeRunsGantryBeforeNexusWithItsConfig() throws IOException {
    List<JsonNode> docs = StrictManifests.documents(COMPOSE.resolve("compose.yaml"));
    assertEquals(1, docs.size(), "compose.yaml is one document");
    JsonNode compose = docs.get(0);
    List<String> problems = new ArrayList<>();
    compose.propertyNames().forEach(k -> {
      if (!COMPOSE_TOP.contains(k)) {
        problems.add("top-level key " + k);
      }
    });
    JsonNode services = compose.path("services");
    services.propertyNames().forEach(name -> services.path(name).propertyNames().forEach(k -> {
      if (!SERVICE_KEYS.contains(k)) {
        problems.add("services." + name + "." + k);
      }
    }));
    assertTrue(problems.isEmpty(), "not Compose keys: " + problems);

    JsonNode gantry = services.path("gantry");
    JsonNode nexus = services.path("nexus");
    assertTrue(gantry.isObject() && nexus.isObject(), "services gantry and nexus");
    assertTrue(nexus.path("image").asString("").startsWith("sonatype/nexus3"), "nexus runs sonatype/nexus3");
    assertTrue(gantry.path("image").asString("").startsWith("gantry:"), "gantry runs the image dist/image builds");
    List<String> dependsOn = new ArrayList<>();
    gantry.path("depends_on").forEach(d -> dependsOn.add(d.asString()));
    assertEquals(List.of("nexus"), dependsOn, "gantry depends on nexus");

    // Mounts: ./gantry (relative to compose.yaml) read-only at /etc/gantry; named volumes declared.
    String configSource = null;
    for (JsonNode v : iterable(services, "volumes")) {
      String[] parts = v.asString().split(":");
      if (parts[0].startsWith(".")) {
        assertTrue(Files.isDirectory(COMPOSE.resolve(parts[0])), v.asString() + ": no such directory next to compose.yaml");
        if (parts[1].equals(CONFIG_DIR)) {
          configSource = parts[0];
          assertEquals("ro", parts.length > 2 ? parts[2] : "", CONFIG_DIR + " mounted read-only");
        }
      } else {
        assertTrue(compose.path("volumes").has(parts[0]), "named volume " + parts[0] + " is declared");
      }
    }
    assertNotNull(configSource, "a directory mounted at " + CONFIG_DIR);
    GantryConfig config = checked(Files.readString(COMPOSE.resolve(configSource).resolve("gantry.conf")), "compose-gantry.conf", Map.of());

    // Published ports: each container port is a listener; every listener is published.
    Set<Integer> published = new TreeSet<>();
    for (JsonNode p : gantry.path("ports")) {
      String spec = p.asString();
      published.add(Integer.parseInt(spec.substring(spec.lastIndexOf(':') + 1)));
    }
    Set<Integer> listeners = config.listeners().stream().map(ListenerConfig::port).collect(Collectors.toCollection(TreeSet::new));
    assertEquals(listeners, published, "published container ports = the config's listeners");

    // Upstreams reach Nexus by its service name; the healthcheck asks the admin port's /ready.
    for (UpstreamConfig u : config.upstreams().values()) {
      String host = u.upstream().host();
      assertTrue(services.has(host), "upstream " + u.name() + " host " + host + " is a compose service");
    }
    String health = String.join(" ", strings(gantry.path("healthcheck").path("test")));
    assertTrue(health.contains(":" + config.admin().port() + "/ready"), "healthcheck asks /ready on the admin port: " + health);
    assertEquals("SIGTERM", gantry.path("stop_signal").asString(""), "stop_signal");
  }

  private static Iterable<JsonNode> iterable(JsonNode services, String key) {
    List<JsonNode> all = new ArrayList<>();
    services.path("gantry").path(key).forEach(all::add);
    return all;
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asString()));
    return out;
  }
}
