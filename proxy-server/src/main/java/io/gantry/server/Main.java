package io.gantry.server;

import io.gantry.server.cli.CheckCommand;
import io.gantry.server.cli.ExplainCommand;
import io.gantry.server.cli.RunCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code gantry run [conf] | check conf | explain conf URL}: the command line entry point. */
@Command(name = "gantry", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "A routing reverse proxy for Nexus and other registries.",
    subcommands = {RunCommand.class, CheckCommand.class, ExplainCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    int code = commandLine().execute(args);
    if (code != 0 || !RunCommand.isServing()) {
      System.exit(code);
    }
  }

  /** The parser, also used by tests. */
  public static CommandLine commandLine() {
    return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"gantry " + (v == null ? "dev" : v)};
    }
  }
}
