package dev.sluice.cli;

import picocli.CommandLine;

/** Reports the version Maven stamped into the jar's manifest (or "dev" when run from classes). */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Main.class.getPackage().getImplementationVersion();
        return new String[] {"sluice " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")"};
    }
}
