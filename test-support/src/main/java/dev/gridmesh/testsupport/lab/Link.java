package dev.gridmesh.testsupport.lab;

/**
 * A veth pair between two namespaces of a lab. Addresses are CIDR strings inside 198.18.0.0/15
 * ({@code "198.18.1.1/24"}); {@link #aIp()} / {@link #bIp()} give them without the prefix length.
 */
public record Link(Netns a, String aIf, String aCidr, Netns b, String bIf, String bCidr) {
    public String aIp() {
        return aCidr.substring(0, aCidr.indexOf('/'));
    }

    public String bIp() {
        return bCidr.substring(0, bCidr.indexOf('/'));
    }

    /** Replaces the A side's address (a host moving to another address on the same link). */
    public Link readdressA(String newCidr) {
        Lab.requireLabAddress(newCidr);
        a.execOk("ip", "addr", "del", aCidr, "dev", aIf);
        a.execOk("ip", "addr", "add", newCidr, "dev", aIf);
        return new Link(a, aIf, newCidr, b, bIf, bCidr);
    }

    /** Replaces the B side's address. */
    public Link readdressB(String newCidr) {
        Lab.requireLabAddress(newCidr);
        b.execOk("ip", "addr", "del", bCidr, "dev", bIf);
        b.execOk("ip", "addr", "add", newCidr, "dev", bIf);
        return new Link(a, aIf, aCidr, b, bIf, newCidr);
    }

    /** Brings both ends down or up (a cable pulled and plugged back). */
    public void setUp(boolean up) {
        a.execOk("ip", "link", "set", aIf, up ? "up" : "down");
        b.execOk("ip", "link", "set", bIf, up ? "up" : "down");
    }
}
