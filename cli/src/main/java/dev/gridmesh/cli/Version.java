package dev.gridmesh.cli;

import picocli.CommandLine;

/** Reports the build's version (from the jar manifest when packaged). */
public final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Version.class.getPackage().getImplementationVersion();
        return new String[] {"gridmesh " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")"};
    }
}
