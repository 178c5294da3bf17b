package dev.sluice.cli;

import picocli.CommandLine.Command;

/**
 * {@code sluice bump-config-epoch}, kcli's verb: {@code POST /api/admin/bump-config-epoch}, which makes the running MTA
 * reload its policy file. Prints the MTA's answer (the new epoch, and each init-only setting that needs a restart).
 * Exit code: 0 reloaded, 2 the policy file was refused (its {@code file:line: reason} on stderr; the running policy
 * stays), 1 the MTA could not be reached or refused the call.
 */
@Command(name = "bump-config-epoch", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Reload the running MTA's policy file, as SIGHUP does (and bump its config epoch).",
            "New work runs the file as it is now; a file that does not load is refused and the running policy stays.",
            "Exit code: 0 reloaded, 2 the file was refused (file:line: reason on stderr), 1 the MTA could not be reached."})
final class ReloadCommand extends AdminCommands.Base {
    static final String PATH = "/api/admin/bump-config-epoch";

    @Override
    public Integer call() throws Exception {
        Answer a = call("POST", PATH, null);
        if (a == null) {
            return status == 422 ? 2 : 1;
        }
        out().print(a.body());
        out().flush();
        return 0;
    }
}
