package io.gantry.server;

import io.gantry.server.cli.GantryCli;
import io.gantry.server.cli.RunCommand;
import java.io.PrintWriter;

/** {@code gantry run [conf] | check conf | explain conf URL}: the command line entry point. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    avoidJmxAtStart();
    avoidBytecodeGenerationAtStart();
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    int code = new GantryCli(out, err).execute(args);
    if (code != 0 || !RunCommand.isServing()) {
      System.exit(code);
    }
  }

  /**
   * Guice generates a class per constructor it calls, with its own copy of ASM, unless told to
   * use reflection: gantry builds its object graph once, so generated classes save nothing and
   * cost ~0.1 s of a one-core start (measured). gantry uses no method interception, the one
   * feature this turns off.
   */
  private static void avoidBytecodeGenerationAtStart() {
    if (System.getProperty("guice_bytecode_gen_option") == null) {
      System.setProperty("guice_bytecode_gen_option", "DISABLED");
    }
  }

  /**
   * Jetty sizes the padding of its thread pool's queue by asking the platform MBean server
   * whether references are compressed, unless told: that query starts JMX and every platform
   * MXBean, 0.03-0.08 s of a one-core start (measured). References are compressed below 32 GiB of
   * heap, which is all gantry ever needs; a wrong guess would only change the padding.
   */
  private static void avoidJmxAtStart() {
    String property = "org.eclipse.jetty.util.referencesPerCacheLine";
    if (System.getProperty(property) == null) {
      boolean compressed = Runtime.getRuntime().maxMemory() < 32L << 30;
      System.setProperty(property, compressed ? "16" : "8");
    }
  }
}
