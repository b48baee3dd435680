package io.gantry.server.cli;

import java.io.PrintWriter;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/** One {@code gantry} command: its name, what it takes, and what it does. */
interface Subcommand {
  /**
   * What the usage line shows and the parser checks.
   *
   * @param name the word that selects the command: {@code run}
   * @param parameters its positional parameters as the usage line shows them: {@code "CONF URL"}
   * @param description one line on what it does
   * @param minParameters the fewest positional parameters it accepts
   * @param maxParameters the most positional parameters it accepts
   */
  record Usage(String name, String parameters, String description, int minParameters, int maxParameters) {}

  Usage usage();

  /** Its options; {@code -h/--help} is added to every command. */
  default Options options() {
    return new Options();
  }

  /**
   * Does the work; {@code parameters} has been counted against the {@link #usage()} already.
   *
   * @return the exit code: 0 done, 1 the answer is "no" (invalid config, refused request), 2 misuse
   */
  int call(CommandLine line, List<String> parameters, PrintWriter out, PrintWriter err) throws Exception;
}
