package dev.gridmesh.nat.portmap;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * The WAN connection services of an Internet Gateway Device, from its description XML (UPnP Device Architecture
 * section 2.3; IGD v1 and v2).
 *
 * <pre>
 * &lt;root xmlns="urn:schemas-upnp-org:device-1-0"&gt;
 *   &lt;URLBase&gt;http://198.18.0.1:5000/&lt;/URLBase&gt;          (optional, UDA 1.0 only)
 *   &lt;device&gt; ... &lt;deviceList&gt;&lt;device&gt; ... (nested: IGD / WANDevice / WANConnectionDevice)
 *     &lt;serviceList&gt;&lt;service&gt;
 *       &lt;serviceType&gt;urn:schemas-upnp-org:service:WANIPConnection:2&lt;/serviceType&gt;
 *       &lt;controlURL&gt;/ctl/IPConn&lt;/controlURL&gt;
 *     &lt;/service&gt;&lt;/serviceList&gt;
 * </pre>
 * Only control URLs on the same host and port as the description are kept: a description must not send our SOAP
 * requests elsewhere.
 */
public record IgdDescription(List<Service> connections) {
    /** WANIPConnection:2 first, then :1, then WANPPPConnection:1. */
    public static final List<String> PREFERENCE = List.of(
            "urn:schemas-upnp-org:service:WANIPConnection:2",
            "urn:schemas-upnp-org:service:WANIPConnection:1",
            "urn:schemas-upnp-org:service:WANPPPConnection:1");

    /** One WANIPConnection or WANPPPConnection service. */
    public record Service(String serviceType, URI controlUrl) {
        public Service {
            requireNonNull(serviceType, "serviceType");
            requireNonNull(controlUrl, "controlUrl");
        }

        /** 2 for WANIPConnection:2 (AddAnyPortMapping, lease limits), else 1. */
        public int version() {
            return serviceType.endsWith(":2") ? 2 : 1;
        }
    }

    public IgdDescription {
        connections = List.copyOf(connections);
    }

    /** The preferred service, or null when there is none. */
    public Service best() {
        return connections.isEmpty() ? null : connections.getFirst();
    }

    /** Parses {@code xml} fetched from {@code location}. Never throws. */
    public static Decoded<IgdDescription> parse(byte[] xml, URI location) {
        Document doc = UpnpXml.parse(xml);
        if (doc == null || doc.getDocumentElement() == null) {
            return Decoded.err(PortMapDecodeError.BAD_XML, "not well-formed XML (or a DTD)");
        }
        Element root = doc.getDocumentElement();
        if (!"root".equals(UpnpXml.localName(root))) {
            return Decoded.err(PortMapDecodeError.BAD_XML, "root element " + UpnpXml.localName(root));
        }
        URI base = location;
        String urlBase = UpnpXml.childText(root, "URLBase");
        if (urlBase != null && !urlBase.isEmpty()) {
            try {
                base = location.resolve(urlBase);
            } catch (IllegalArgumentException e) {
                return Decoded.err(PortMapDecodeError.BAD_XML, "URLBase " + SsdpCodec.abbreviate(urlBase));
            }
        }
        List<Service> found = new ArrayList<>();
        collect(root, base, location, found, 0);
        if (found.isEmpty()) {
            return Decoded.err(PortMapDecodeError.BAD_XML, "no WANIPConnection or WANPPPConnection service");
        }
        found.sort(Comparator.comparingInt(s -> PREFERENCE.indexOf(s.serviceType())));
        return Decoded.ok(new IgdDescription(found));
    }

    private static void collect(Element e, URI base, URI location, List<Service> out, int depth) {
        if (depth > 32) {
            return;
        }
        if ("service".equals(UpnpXml.localName(e))) {
            String type = UpnpXml.childText(e, "serviceType");
            String control = UpnpXml.childText(e, "controlURL");
            if (type != null && PREFERENCE.contains(type) && control != null && !control.isEmpty()) {
                try {
                    URI url = base.resolve(control);
                    if ("http".equalsIgnoreCase(url.getScheme()) && location.getHost() != null
                            && location.getHost().equalsIgnoreCase(url.getHost())
                            && effectivePort(location) == effectivePort(url)) {
                        out.add(new Service(type, url));
                    }
                } catch (IllegalArgumentException ignored) {
                    // a control URL that does not parse: not a usable service
                }
            }
            return;
        }
        for (Element c : UpnpXml.children(e, null)) {
            collect(c, base, location, out, depth + 1);
        }
    }

    private static int effectivePort(URI u) {
        return u.getPort() == -1 ? 80 : u.getPort();
    }
}
