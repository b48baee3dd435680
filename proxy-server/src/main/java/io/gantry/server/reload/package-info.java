/**
 * Hot reload: the running gantry takes a changed configuration file without a restart.
 *
 * <p>{@link io.gantry.server.reload.Reloader} reads and validates the file ({@code ConfigLoader}),
 * {@link io.gantry.server.reload.ConfigDiff} says what can change live, and the server ({@link
 * io.gantry.server.reload.ReloadTarget}) has its {@link io.gantry.server.reload.ConfigSwitch} load
 * certificates and bind new ports before it switches anything. A rejected reload leaves the running configuration serving, untouched. Triggers:
 * SIGHUP, the admin endpoint's {@code POST /config/reload}, {@code gantry reload}, and (with
 * {@code gantry.reload.watch}) a changed file: {@link io.gantry.server.reload.WatchedFiles} lists
 * the files a configuration reads and hashes them, {@code ConfigWatcher} watches their directories.
 */
package io.gantry.server.reload;
