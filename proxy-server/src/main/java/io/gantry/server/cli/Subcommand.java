package io.gantry.server.cli;

import java.io.PrintWriter;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/** One {@code gantry} command: its name, what it takes, and what it does. */
interface Subcommand {
  /** The word that selects it: {@code run}. */
  String name();

  /** Its positional parameters as the usage line shows them: {@code "CONF URL"}. */
  String parameters();

  /** One line on what it does. */
  String description();

  /** The fewest and most positional parameters it accepts. */
  int minParameters();

  int maxParameters();

  /** Its options; {@code -h/--help} is added to every command. */
  default Options options() {
    return new Options();
  }

  /**
   * Does the work; {@code parameters} has been counted against {@link #minParameters()} and
   * {@link #maxParameters()} already.
   *
   * @return the exit code: 0 done, 1 the answer is "no" (invalid config, refused request), 2 misuse
   */
  int call(CommandLine line, List<String> parameters, PrintWriter out, PrintWriter err) throws Exception;
}
