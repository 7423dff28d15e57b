package dev.gridmesh.nat.portmap;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.ErrorHandler;
import org.xml.sax.SAXParseException;

/** Hardened DOM parsing for UPnP XML (no DTDs, no external entities) and namespace-blind element helpers. */
final class UpnpXml {
    /** Descriptions and SOAP answers larger than this are refused before parsing. */
    static final int MAX_BYTES = 256 * 1024;

    /** Turns parse problems into exceptions (caught below) instead of lines on stderr. */
    private static final ErrorHandler SILENT = new ErrorHandler() {
        @Override
        public void warning(SAXParseException e) { }

        @Override
        public void error(SAXParseException e) throws SAXParseException {
            throw e;
        }

        @Override
        public void fatalError(SAXParseException e) throws SAXParseException {
            throw e;
        }
    };
    /** Searches go no deeper than this (a hostile document must not overflow the stack). */
    private static final int MAX_DEPTH = 64;

    private UpnpXml() {}

    /** The document, or null when the bytes are not well-formed XML (or declare a DTD). Never throws. */
    static Document parse(byte[] xml) {
        if (xml.length > MAX_BYTES) {
            return null;
        }
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature("http://xml.org/sax/features/external-general-entities", false);
            f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            DocumentBuilder b = f.newDocumentBuilder();
            b.setErrorHandler(SILENT);
            return b.parse(new ByteArrayInputStream(xml));
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK XML parser lacks a standard feature", e);
        } catch (Exception e) {
            // SAXException, IOException, and any RuntimeException of the parser on hostile input
            return null;
        }
    }

    static String localName(Node n) {
        String ln = n.getLocalName();
        return ln != null ? ln : n.getNodeName();
    }

    static List<Element> children(Element parent, String localName) {
        List<Element> out = new ArrayList<>();
        for (Node c = parent.getFirstChild(); c != null; c = c.getNextSibling()) {
            if (c instanceof Element e && (localName == null || localName.equals(localName(e)))) {
                out.add(e);
            }
        }
        return out;
    }

    static Element child(Element parent, String localName) {
        List<Element> l = children(parent, localName);
        return l.isEmpty() ? null : l.getFirst();
    }

    static String childText(Element parent, String localName) {
        Element c = child(parent, localName);
        return c == null ? null : c.getTextContent().trim();
    }

    /** Depth-first search for the first element named {@code localName}. */
    static Element find(Element root, String localName) {
        return find(root, localName, 0);
    }

    private static Element find(Element root, String localName, int depth) {
        if (localName.equals(localName(root))) {
            return root;
        }
        if (depth >= MAX_DEPTH) {
            return null;
        }
        for (Element c : children(root, null)) {
            Element hit = find(c, localName, depth + 1);
            if (hit != null) {
                return hit;
            }
        }
        return null;
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&apos;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
