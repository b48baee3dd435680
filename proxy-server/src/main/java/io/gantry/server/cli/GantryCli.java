package io.gantry.server.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;

/**
 * {@code gantry run [CONF] | reload [CONF] | check [CONF] | explain CONF URL [options] | help [COMMAND] | --help |
 * --version}: picks the command, parses its options with Apache Commons CLI, and answers misuse
 * with the problem and the command's usage (exit code 2).
 *
 * <p>Not picocli: its classes are Java 5 bytecode, which the JVM's AppCDS archive cannot hold, so
 * every start loaded and verified ~200 classes from the jar: 0.3 s of a 1.15 s one-core start
 * (measured, docs/performance.md).
 *
 * <pre>{@code
 * int code = new GantryCli(new PrintWriter(System.out, true), new PrintWriter(System.err, true)).execute(args);
 * }</pre>
 */
public final class GantryCli {
  private static final int WIDTH = 100;
  private static final String DESCRIPTION = "A routing reverse proxy for Nexus and other registries.";

  private final PrintWriter out;
  private final PrintWriter err;
  private final Map<String, Subcommand> commands = new LinkedHashMap<>();

  /** A command line printing to {@code out} and {@code err}; both are flushed before returning. */
  public GantryCli(PrintWriter out, PrintWriter err) {
    this.out = out;
    this.err = err;
    for (Subcommand c : List.of(new RunCommand(), new ReloadCommand(), new CheckCommand(), new ExplainCommand(),
        new PrepareCommand())) {
      commands.put(c.usage().name(), c);
    }
  }

  /** Runs one command line; returns the process exit code. */
  public int execute(String... args) {
    try {
      return dispatch(args);
    } finally {
      out.flush();
      err.flush();
    }
  }

  /** {@code gantry <version>}, from the jar's manifest. */
  public static String version() {
    String v = GantryCli.class.getPackage().getImplementationVersion();
    return "gantry " + (v == null ? "dev" : v);
  }

  private int dispatch(String[] args) {
    if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help")) {
      usage(out);
      return 0;
    }
    if (args[0].equals("-V") || args[0].equals("--version")) {
      out.println(version());
      return 0;
    }
    if (args[0].equals("help")) {
      if (args.length == 1) {
        usage(out);
        return 0;
      }
      Subcommand c = commands.get(args[1]);
      if (c == null || args.length > 2) {
        return misuse("help: unknown command '" + String.join(" ", List.of(args).subList(1, args.length)) + "'", null);
      }
      usage(c, out);
      return 0;
    }
    Subcommand c = commands.get(args[0]);
    if (c == null) {
      return misuse((args[0].startsWith("-") ? "unknown option '" : "unknown command '") + args[0] + "'", null);
    }
    CommandLine line;
    try {
      line = DefaultParser.builder().setAllowPartialMatching(false).setStripLeadingAndTrailingQuotes(false).get()
          .parse(optionsOf(c), List.of(args).subList(1, args.length).toArray(String[]::new));
    } catch (ParseException e) {
      return misuse(c.usage().name() + ": " + e.getMessage(), c);
    }
    if (line.hasOption("help")) {
      usage(c, out);
      return 0;
    }
    List<String> parameters = line.getArgList();
    Subcommand.Usage usage = c.usage();
    if (parameters.size() < usage.minParameters()) {
      List<String> names = List.of(usage.parameters().replaceAll("[\\[\\]]", "").split(" "));
      return misuse(usage.name() + ": missing " + String.join(" ", names.subList(parameters.size(), usage.minParameters())), c);
    }
    if (parameters.size() > usage.maxParameters()) {
      return misuse(usage.name() + ": unexpected '" + parameters.get(usage.maxParameters()) + "'", c);
    }
    try {
      return c.call(line, parameters, out, err);
    } catch (Exception e) {
      err.println("gantry " + c.usage().name() + ": " + e);
      e.printStackTrace(err);
      return 1;
    }
  }

  private int misuse(String problem, Subcommand c) {
    err.println("gantry " + problem);
    if (c == null) {
      usage(err);
    } else {
      usage(c, err);
    }
    return 2;
  }

  private void usage(PrintWriter to) {
    to.println("Usage: gantry COMMAND [ARGS]   (gantry help COMMAND: its options)");
    to.println(DESCRIPTION);
    to.println("Commands:");
    for (Subcommand c : commands.values()) {
      to.printf("  %-8s %s%n", c.usage().name(), c.usage().description());
    }
    to.printf("  %-8s %s%n", "help", "Show the options of a command.");
    to.println("Options:");
    to.println("  -h, --help     Show this help and exit.");
    to.println("  -V, --version  Print the version and exit.");
  }

  private static Options optionsOf(Subcommand c) {
    return c.options().addOption(Option.builder("h").longOpt("help").desc("show this help and exit").get());
  }

  private static void usage(Subcommand c, PrintWriter to) {
    HelpFormatter help = HelpFormatter.builder().setShowSince(false).get();
    Subcommand.Usage usage = c.usage();
    String syntax = "gantry " + usage.name() + " [OPTIONS] " + usage.parameters();
    help.printHelp(to, WIDTH, syntax, usage.description(), optionsOf(c), 2, 2, null, false);
  }
}
