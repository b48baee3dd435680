package io.gantry.server.reload;

import io.gantry.server.config.CertificateConfig;
import io.gantry.server.config.GantryConfig;
import io.gantry.server.config.UpstreamConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The files a configuration reads: the file itself, every certificate, key and keystore of {@code
 * gantry.tls.certificates}, every upstream's {@code ca}; and their content hashes, which decide
 * whether a watched change is a change (files are replaced, links swapped, events repeat).
 */
public final class WatchedFiles {
  private WatchedFiles() {}

  /** The files {@code config} reads, absolute, in file order, each once. */
  public static List<Path> of(GantryConfig config) {
    Set<Path> files = new LinkedHashSet<>();
    add(files, config.file());
    for (CertificateConfig c : config.tls().certificates()) {
      add(files, c.cert());
      add(files, c.key());
      add(files, c.keystore());
    }
    for (UpstreamConfig u : config.upstreams().values()) {
      add(files, u.ca());
    }
    return List.copyOf(files);
  }

  private static void add(Set<Path> files, Path file) {
    if (file != null) {
      files.add(file.toAbsolutePath().normalize());
    }
  }

  /** The SHA-256 (hex) of each file's content as read through its links; empty for a file that cannot be read. */
  public static Map<Path, String> hashes(Iterable<Path> files) {
    Map<Path, String> hashes = new LinkedHashMap<>();
    for (Path file : files) {
      hashes.put(file, sha256(file));
    }
    return hashes;
  }

  /** The files whose hash in {@code now} differs from {@code before} (or that {@code before} lacks). */
  public static List<Path> changed(Map<Path, String> before, Map<Path, String> now) {
    List<Path> changed = new ArrayList<>();
    now.forEach((file, hash) -> {
      if (!Objects.equals(before.get(file), hash)) {
        changed.add(file);
      }
    });
    return changed;
  }

  /** The SHA-256 of {@code file}, hex; empty when it cannot be read. */
  public static String sha256(Path file) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    } catch (IOException e) {
      return "";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
