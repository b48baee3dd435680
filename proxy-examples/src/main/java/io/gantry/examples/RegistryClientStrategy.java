package io.gantry.examples;

import io.gantry.proxy.route.RequestView;
import io.gantry.proxy.route.RouteStrategy;
import java.util.List;
import java.util.Locale;

/**
 * A user-written strategy: matches requests from container registry clients (Docker, containerd,
 * Podman/Buildah/Skopeo, Kaniko, crane, Helm's OCI client) by their User-Agent, so that one host
 * name can serve both the Nexus UI and the registry API.
 *
 * <p>In gantry's config it is used by class name (the jar dropped into {@code lib/}):
 *
 * <pre>
 * { host = nexus.example.com, strategy = io.gantry.examples.RegistryClientStrategy, to = docker-group }
 * </pre>
 *
 * <p>A strategy must be immutable and cheap; its {@code toString()} is how the route table shows
 * it. The public no-argument constructor is what the server calls.
 */
public final class RegistryClientStrategy implements RouteStrategy {
  private static final List<String> CLIENTS = List.of(
      "docker/", "docker-client/", "containerd/", "buildah/", "podman/", "skopeo/", "libpod/",
      "kaniko/", "go-containerregistry/", "crane/", "helm/", "oras/");

  @Override
  public boolean matches(RequestView request) {
    String agent = request.header("User-Agent");
    if (agent == null) {
      return false;
    }
    String lower = agent.toLowerCase(Locale.ROOT);
    for (String client : CLIENTS) {
      if (lower.startsWith(client) || lower.contains(" " + client)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RegistryClientStrategy;
  }

  @Override
  public int hashCode() {
    return RegistryClientStrategy.class.hashCode();
  }

  @Override
  public String toString() {
    return "registryClient()";
  }
}
