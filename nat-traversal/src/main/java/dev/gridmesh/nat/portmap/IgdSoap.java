package dev.gridmesh.nat.portmap;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * SOAP 1.1 envelopes of the WANIPConnection / WANPPPConnection actions (UPnP Device Architecture section 3.2; IGD
 * WANIPConnection:1 and :2 service templates): requests are built, responses and UPnP faults parsed.
 *
 * <pre>
 * POST /ctl/IPConn HTTP/1.1
 * Content-Type: text/xml; charset="utf-8"
 * SOAPAction: "urn:schemas-upnp-org:service:WANIPConnection:2#AddPortMapping"
 *
 * &lt;s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"
 *     s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"&gt;&lt;s:Body&gt;
 *   &lt;u:AddPortMapping xmlns:u="SERVICE TYPE"&gt;&lt;NewExternalPort&gt;40000&lt;/NewExternalPort&gt;...&lt;/u:AddPortMapping&gt;
 * &lt;/s:Body&gt;&lt;/s:Envelope&gt;
 *
 * Success: HTTP 200, &lt;u:ACTIONResponse&gt;&lt;OutArg&gt;value&lt;/OutArg&gt;...&lt;/u:ACTIONResponse&gt;
 * Failure: HTTP 500, &lt;s:Fault&gt;...&lt;detail&gt;&lt;UPnPError&gt;&lt;errorCode&gt;718&lt;/errorCode&gt;
 *          &lt;errorDescription&gt;ConflictInMappingEntry&lt;/errorDescription&gt;&lt;/UPnPError&gt;&lt;/detail&gt;&lt;/s:Fault&gt;
 * </pre>
 */
public final class IgdSoap {
    /** UPnP error codes this client acts on (IGD WANIPConnection:2 section 2.4). */
    public static final int ERR_CONFLICT_IN_MAPPING = 718;
    public static final int ERR_NO_SUCH_ENTRY = 714;
    public static final int ERR_ONLY_PERMANENT_LEASES = 725;
    public static final int ERR_NOT_AUTHORIZED = 606;

    /** The outcome of one action. */
    public sealed interface Result {
        record Success(Map<String, String> values) implements Result {
            public Success {
                values = Map.copyOf(values);
            }
        }

        record Fault(int errorCode, String description) implements Result {
            public Fault {
                requireNonNull(description, "description");
            }
        }
    }

    private IgdSoap() {}

    public static String soapAction(String serviceType, String action) {
        return "\"" + serviceType + "#" + action + "\"";
    }

    /** The request body; {@code args} in order (SOAP arguments are positional in practice). */
    public static byte[] request(String serviceType, String action, Map<String, String> args) {
        StringBuilder sb = new StringBuilder(512);
        sb.append("<?xml version=\"1.0\"?>\r\n")
                .append("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" ")
                .append("s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>")
                .append("<u:").append(action).append(" xmlns:u=\"").append(UpnpXml.escape(serviceType)).append("\">");
        args.forEach((k, v) -> sb.append('<').append(k).append('>').append(UpnpXml.escape(v))
                .append("</").append(k).append('>'));
        sb.append("</u:").append(action).append("></s:Body></s:Envelope>\r\n");
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    public static Map<String, String> addPortMappingArgs(int externalPort, int internalPort, String internalClient,
            String description, long leaseSeconds) {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("NewRemoteHost", "");
        a.put("NewExternalPort", Integer.toString(externalPort));
        a.put("NewProtocol", "UDP");
        a.put("NewInternalPort", Integer.toString(internalPort));
        a.put("NewInternalClient", internalClient);
        a.put("NewEnabled", "1");
        a.put("NewPortMappingDescription", description);
        a.put("NewLeaseDuration", Long.toString(leaseSeconds));
        return a;
    }

    public static Map<String, String> deletePortMappingArgs(int externalPort) {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("NewRemoteHost", "");
        a.put("NewExternalPort", Integer.toString(externalPort));
        a.put("NewProtocol", "UDP");
        return a;
    }

    /** Parses the body of the answer to {@code action} (HTTP status as received). Never throws. */
    public static Decoded<Result> parseResponse(int httpStatus, byte[] body, String action) {
        Document doc = UpnpXml.parse(body);
        if (doc == null || doc.getDocumentElement() == null) {
            return Decoded.err(PortMapDecodeError.BAD_XML, "HTTP " + httpStatus + ": body is not well-formed XML");
        }
        Element root = doc.getDocumentElement();
        Element error = UpnpXml.find(root, "UPnPError");
        if (error != null) {
            String code = UpnpXml.childText(error, "errorCode");
            String desc = UpnpXml.childText(error, "errorDescription");
            try {
                return Decoded.ok(new Result.Fault(Integer.parseInt(code == null ? "" : code), desc == null ? "" : desc));
            } catch (NumberFormatException e) {
                return Decoded.err(PortMapDecodeError.BAD_XML, "UPnPError errorCode " + code);
            }
        }
        Element resp = UpnpXml.find(root, action + "Response");
        if (resp == null || httpStatus != 200) {
            return Decoded.err(PortMapDecodeError.BAD_XML, "HTTP " + httpStatus + ": no " + action
                    + "Response and no UPnPError");
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (Element c : UpnpXml.children(resp, null)) {
            values.put(UpnpXml.localName(c), c.getTextContent().trim());
        }
        return Decoded.ok(new Result.Success(values));
    }
}
