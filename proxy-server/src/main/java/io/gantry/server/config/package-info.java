/**
 * Gantry's configuration: a HOCON file read by {@link io.gantry.server.config.ConfigLoader} into
 * immutable records ({@link io.gantry.server.config.GantryConfig} and its parts), from which the
 * library objects are built ({@link io.gantry.server.config.GantryConfig#routeTable()}).
 *
 * <p>Every key and its default is documented in {@code reference.conf} beside this package's
 * classes; defaults live there, not in code. All problems of a file are reported at once, each
 * with its file, line and key path ({@link io.gantry.server.config.ConfigProblem}).
 */
package io.gantry.server.config;
