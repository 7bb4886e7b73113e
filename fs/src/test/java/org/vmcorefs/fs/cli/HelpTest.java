package org.vmcorefs.fs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.env.CaptureEnvironments;
import org.vmcorefs.format.env.EnvironmentOption;
import picocli.CommandLine;

/** What --help says: whole summaries, and every capture environment's files and options. */
class HelpTest {
    private static CommandLine commandLine() {
        CommandLine cl = new CommandLine(Main.class);
        MountCommand.addEnvironments(cl.getSubcommands().get("mount"));
        return cl;
    }

    @Test
    void eachSubcommandsSummaryIsOneWholeSentence() {
        String help = commandLine().getUsageMessage(CommandLine.Help.Ansi.OFF);
        String commands = help.substring(help.indexOf("Commands:"), help.indexOf("Exit codes:"));
        List<String> rows = commands.lines().skip(1).filter(l -> !l.isBlank()).toList();
        assertEquals(6, rows.size(), commands);
        for (String row : rows) {
            assertTrue(row.endsWith("."), "cut short: " + row);
        }
    }

    @Test
    void mountHelpListsEveryProfilesFilesAndOptions() {
        String help = commandLine().getSubcommands().get("mount").getUsageMessage(CommandLine.Help.Ansi.OFF);
        for (CaptureEnvironment e : CaptureEnvironments.ALL) {
            assertTrue(help.contains(e.id()), e.id());
            for (String line : e.help()) {
                assertTrue(help.contains(line), e.id() + ": " + line);
            }
            for (EnvironmentOption o : e.options()) {
                assertTrue(help.contains(o.isFlag() ? o.name() : o.name() + "=" + o.paramLabel()), o.name());
            }
        }
    }
}
