package io.gantry.server.config;

import io.gantry.proxy.upstream.Upstream;
import java.nio.file.Path;

/**
 * One entry of {@code gantry.upstreams}, with the {@link Upstream} built from it at load time (so
 * its CA file is read once and every route to it shares one instance).
 *
 * @param name the key routes refer to with {@code to = ...}
 * @param ca the absolute PEM file of trusted CA certificates, or {@code null} for the JDK's
 * @param upstream the library object: URL, timeouts and trust store
 * @param file the file the upstream is declared in
 * @param line the line it is declared on
 */
public record UpstreamConfig(String name, Path ca, Upstream upstream, String file, int line) {}
