package dev.gridmesh.nat.portmap;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/**
 * SSDP, IGD description and SOAP against answers recorded from miniupnpd 2.3.1 (test resources
 * portmap/miniupnpd-2.3.1/*.http: status line, headers, body), plus hand-made v1 / hostile variants.
 */
class UpnpCodecTest {
    private static final URI LOCATION = URI.create("http://198.18.50.1:37629/rootDesc.xml");

    static byte[] resource(String name) throws IOException {
        try (InputStream in = UpnpCodecTest.class.getResourceAsStream("/portmap/miniupnpd-2.3.1/" + name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        }
    }

    /** The body of a recorded HTTP response (after the first empty line). */
    static byte[] body(String name) throws IOException {
        byte[] all = resource(name);
        String text = new String(all, StandardCharsets.ISO_8859_1);
        int at = text.indexOf("\r\n\r\n");
        return Arrays.copyOfRange(all, at + 4, all.length);
    }

    static int status(String name) throws IOException {
        String first = new String(resource(name), StandardCharsets.ISO_8859_1).lines().findFirst().orElseThrow();
        return Integer.parseInt(first.split(" ")[1]);
    }

    @Test
    void mSearchIsByteExact() {
        assertThat(new String(SsdpCodec.mSearch(SsdpCodec.IGD_V1, 1, "239.255.255.250:1900"), StandardCharsets.US_ASCII))
                .isEqualTo("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n"
                        + "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\r\n");
    }

    @Test
    void miniupnpdSearchResponse() throws IOException {
        Decoded<SsdpCodec.SearchResponse> d = SsdpCodec.decodeResponse(ByteBuffer.wrap(resource("ssdp-response.txt")));
        assertThat(d).isInstanceOf(Decoded.Ok.class);
        SsdpCodec.SearchResponse r = ((Decoded.Ok<SsdpCodec.SearchResponse>) d).message();
        assertThat(r.location()).isEqualTo(LOCATION);
        assertThat(r.st()).isEqualTo(SsdpCodec.IGD_V1);
        assertThat(r.usn()).startsWith("uuid:3d3cec3a-8cf0-11e0-98ee-001a6bd2d07b::");
        assertThat(r.server()).contains("MiniUPnPd/2.3.1");
    }

    @Test
    void badSearchResponses() {
        assertThat(ssdpError("")).isEqualTo(PortMapDecodeError.BAD_HTTP);
        assertThat(ssdpError("NOTIFY * HTTP/1.1\r\nLOCATION: http://a/\r\n\r\n")).isEqualTo(PortMapDecodeError.BAD_HTTP);
        assertThat(ssdpError("HTTP/1.1 200 OK\r\nST: x\r\n\r\n")).isEqualTo(PortMapDecodeError.BAD_HTTP);
        assertThat(ssdpError("HTTP/1.1 200 OK\r\nLOCATION: file:///etc/passwd\r\n\r\n"))
                .isEqualTo(PortMapDecodeError.BAD_HTTP);
        assertThat(ssdpError("HTTP/1.1 200 OK\r\nLOCATION: http://a b/\r\n\r\n")).isEqualTo(PortMapDecodeError.BAD_HTTP);
        assertThat(ssdpError("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n")).isEqualTo(PortMapDecodeError.BAD_HTTP);
        assertThat(ssdpError("HTTP/1.1 200 OK\r\n" + "X: y\r\n".repeat(2000))).isEqualTo(PortMapDecodeError.BAD_LENGTH);
    }

    private static PortMapDecodeError ssdpError(String text) {
        Decoded<SsdpCodec.SearchResponse> d = SsdpCodec.decodeResponse(
                ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1)));
        assertThat(d).isInstanceOf(Decoded.Err.class);
        return ((Decoded.Err<SsdpCodec.SearchResponse>) d).reason();
    }

    @Test
    void miniupnpdDescriptionGivesWanIpConnection2() throws IOException {
        Decoded<IgdDescription> d = IgdDescription.parse(body("rootDesc.http"), LOCATION);
        IgdDescription desc = ((Decoded.Ok<IgdDescription>) d).message();
        assertThat(desc.connections()).containsExactly(new IgdDescription.Service(
                "urn:schemas-upnp-org:service:WANIPConnection:2", URI.create("http://198.18.50.1:37629/ctl/IPConn")));
        assertThat(desc.best().version()).isEqualTo(2);
    }

    @Test
    void v1DescriptionWithUrlBaseAndPppPreferIpConnection() {
        String xml = """
                <?xml version="1.0"?>
                <root xmlns="urn:schemas-upnp-org:device-1-0"><URLBase>http://198.18.0.1:5000/igd/</URLBase>
                <device><deviceList><device><deviceList><device><serviceList>
                <service><serviceType>urn:schemas-upnp-org:service:WANPPPConnection:1</serviceType>
                  <controlURL>ppp</controlURL></service>
                <service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType>
                  <controlURL>/upnp/control/WANIPConn1</controlURL></service>
                <service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType>
                  <controlURL>http://203.0.113.9/evil</controlURL></service>
                </serviceList></device></deviceList></device></deviceList></device></root>
                """;
        IgdDescription desc = ((Decoded.Ok<IgdDescription>) IgdDescription.parse(xml.getBytes(StandardCharsets.UTF_8),
                URI.create("http://198.18.0.1:5000/desc.xml"))).message();
        assertThat(desc.connections()).extracting(IgdDescription.Service::controlUrl).containsExactly(
                URI.create("http://198.18.0.1:5000/upnp/control/WANIPConn1"),
                URI.create("http://198.18.0.1:5000/igd/ppp"));
        assertThat(desc.best().version()).isEqualTo(1);
    }

    @Test
    void hostileOrUselessDescriptions() {
        String xxe = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><root>&x;</root>";
        assertThat(descError(xxe)).isEqualTo(PortMapDecodeError.BAD_XML);
        assertThat(descError("<root><device/></root>")).isEqualTo(PortMapDecodeError.BAD_XML);
        assertThat(descError("<html/>")).isEqualTo(PortMapDecodeError.BAD_XML);
        assertThat(descError("not xml")).isEqualTo(PortMapDecodeError.BAD_XML);
        assertThat(descError("<root>" + "<a>".repeat(100_000))).isEqualTo(PortMapDecodeError.BAD_XML);
    }

    private static PortMapDecodeError descError(String xml) {
        Decoded<IgdDescription> d = IgdDescription.parse(xml.getBytes(StandardCharsets.UTF_8), LOCATION);
        assertThat(d).isInstanceOf(Decoded.Err.class);
        return ((Decoded.Err<IgdDescription>) d).reason();
    }

    @Test
    void soapRequestBodyIsExact() {
        byte[] req = IgdSoap.request("urn:schemas-upnp-org:service:WANIPConnection:2", "AddPortMapping",
                IgdSoap.addPortMappingArgs(40000, 40000, "198.18.50.2", "grid<mesh>", 7200));
        assertThat(new String(req, StandardCharsets.UTF_8)).isEqualTo("<?xml version=\"1.0\"?>\r\n"
                + "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
                + "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>"
                + "<u:AddPortMapping xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:2\">"
                + "<NewRemoteHost></NewRemoteHost><NewExternalPort>40000</NewExternalPort><NewProtocol>UDP</NewProtocol>"
                + "<NewInternalPort>40000</NewInternalPort><NewInternalClient>198.18.50.2</NewInternalClient>"
                + "<NewEnabled>1</NewEnabled><NewPortMappingDescription>grid&lt;mesh&gt;</NewPortMappingDescription>"
                + "<NewLeaseDuration>7200</NewLeaseDuration></u:AddPortMapping></s:Body></s:Envelope>\r\n");
        assertThat(IgdSoap.soapAction("urn:schemas-upnp-org:service:WANIPConnection:2", "AddPortMapping"))
                .isEqualTo("\"urn:schemas-upnp-org:service:WANIPConnection:2#AddPortMapping\"");
    }

    @Test
    void miniupnpdSoapAnswers() throws IOException {
        assertThat(soap("GetExternalIPAddress.http", "GetExternalIPAddress"))
                .isEqualTo(new IgdSoap.Result.Success(Map.of("NewExternalIPAddress", "198.19.50.1")));
        assertThat(soap("AddPortMapping.http", "AddPortMapping")).isEqualTo(new IgdSoap.Result.Success(Map.of()));
        assertThat(soap("AddAnyPortMapping.http", "AddAnyPortMapping"))
                .isEqualTo(new IgdSoap.Result.Success(Map.of("NewReservedPort", "40000")));
        assertThat(soap("DeletePortMapping.http", "DeletePortMapping")).isEqualTo(new IgdSoap.Result.Success(Map.of()));
        assertThat(soap("AddPortMapping-forbidden.http", "AddPortMapping"))
                .isEqualTo(new IgdSoap.Result.Fault(718, "ConflictInMappingEntry"));
    }

    private static IgdSoap.Result soap(String file, String action) throws IOException {
        Decoded<IgdSoap.Result> d = IgdSoap.parseResponse(status(file), body(file), action);
        assertThat(d).as("%s", d).isInstanceOf(Decoded.Ok.class);
        return ((Decoded.Ok<IgdSoap.Result>) d).message();
    }

    @Test
    void badSoapAnswers() throws IOException {
        assertThat(IgdSoap.parseResponse(200, body("AddPortMapping.http"), "DeletePortMapping"))
                .isInstanceOf(Decoded.Err.class);
        assertThat(IgdSoap.parseResponse(500, "<x/>".getBytes(StandardCharsets.UTF_8), "AddPortMapping"))
                .isInstanceOf(Decoded.Err.class);
        assertThat(IgdSoap.parseResponse(500, ("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">"
                + "<s:Body><s:Fault><detail><UPnPError><errorCode>x</errorCode></UPnPError></detail></s:Fault>"
                + "</s:Body></s:Envelope>").getBytes(StandardCharsets.UTF_8), "AddPortMapping"))
                .isInstanceOf(Decoded.Err.class);
        assertThat(IgdSoap.parseResponse(200, new byte[0], "AddPortMapping")).isInstanceOf(Decoded.Err.class);
        String deep = "<a>".repeat(5000) + "</a>".repeat(5000);
        assertThat(IgdSoap.parseResponse(200, deep.getBytes(StandardCharsets.UTF_8), "AddPortMapping"))
                .isInstanceOf(Decoded.Err.class);
    }

    @Test
    void literalIpv4NeverResolvesNames() {
        assertThat(UpnpIgdClient.literalIpv4("198.19.50.1")).map(a -> a.getHostAddress()).contains("198.19.50.1");
        assertThat(UpnpIgdClient.literalIpv4("example.com")).isEmpty();
        assertThat(UpnpIgdClient.literalIpv4("1.2.3.256")).isEmpty();
        assertThat(UpnpIgdClient.literalIpv4("0.0.0.0")).isEmpty();
        assertThat(UpnpIgdClient.literalIpv4("")).isEmpty();
    }

    @Property(tries = 1000)
    void garbageNeverThrows(@ForAll @Size(max = 300) byte[] bytes) {
        assertThat(SsdpCodec.decodeResponse(ByteBuffer.wrap(bytes))).isNotNull();
        assertThat(IgdDescription.parse(bytes, LOCATION)).isNotNull();
        assertThat(IgdSoap.parseResponse(200, bytes, "AddPortMapping")).isNotNull();
    }
}
