package dev.gridmesh.testsupport.prom;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format 0.0.4 (the format {@code /metrics} serves by default):
 * {@code # HELP}/{@code # TYPE} lines, samples {@code name{label="value",...} value}. Any line that does not parse,
 * a sample of an undeclared family, a TYPE after its samples or a duplicate series fails the test.
 */
public final class PromText {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern TYPE = Pattern.compile("# TYPE (" + NAME + ") (counter|gauge|histogram|summary|untyped)");
    private static final Pattern HELP = Pattern.compile("# HELP (" + NAME + ") .*");
    private static final Pattern SAMPLE = Pattern.compile("(" + NAME + ")(\\{(.*)})? (\\S+)( -?[0-9]+)?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"(,|$)");

    /** Series key {@code name{a="b",c="d"}} (labels sorted) to value. */
    public final Map<String, Double> samples = new LinkedHashMap<>();
    public final Map<String, String> types = new HashMap<>();

    public static PromText parse(String text) {
        PromText p = new PromText();
        int n = 0;
        for (String line : text.split("\n", -1)) {
            n++;
            if (line.isEmpty()) {
                continue;
            }
            Matcher m;
            if ((m = TYPE.matcher(line)).matches()) {
                if (p.types.put(m.group(1), m.group(2)) != null) {
                    throw new AssertionError(n + ": second TYPE for " + m.group(1));
                }
                continue;
            }
            if (HELP.matcher(line).matches()) {
                continue;
            }
            if (line.startsWith("#")) {
                throw new AssertionError(n + ": unexpected comment: " + line);
            }
            if (!(m = SAMPLE.matcher(line)).matches()) {
                throw new AssertionError(n + ": not a sample: " + line);
            }
            String name = m.group(1);
            String family = p.familyOf(name);
            if (family == null) {
                throw new AssertionError(n + ": sample of an undeclared family: " + line);
            }
            Map<String, String> labels = new TreeMap<>();
            String ls = m.group(3);
            if (ls != null && !ls.isEmpty()) {
                Matcher lm = LABEL.matcher(ls);
                int at = 0;
                while (at < ls.length()) {
                    if (!lm.find(at) || lm.start() != at) {
                        throw new AssertionError(n + ": bad labels: " + ls);
                    }
                    if (labels.put(lm.group(1), lm.group(2)) != null) {
                        throw new AssertionError(n + ": label twice: " + lm.group(1));
                    }
                    at = lm.end();
                }
            }
            double v = switch (m.group(4)) {
                case "+Inf" -> Double.POSITIVE_INFINITY;
                case "-Inf" -> Double.NEGATIVE_INFINITY;
                case "NaN" -> Double.NaN;
                default -> Double.parseDouble(m.group(4));
            };
            String key = name + (labels.isEmpty() ? "" : labels.toString().replace(", ", ",").replace("{", "{")
                    .replaceAll("([^{,]+)=([^,}]*)", "$1=\"$2\""));
            if (p.samples.put(key, v) != null) {
                throw new AssertionError(n + ": duplicate series " + key);
            }
        }
        return p;
    }

    private String familyOf(String sample) {
        if (types.containsKey(sample)) {
            return sample;
        }
        for (String suffix : new String[] {"_total", "_count", "_sum", "_bucket", "_created"}) {
            if (sample.endsWith(suffix) && types.containsKey(sample.substring(0, sample.length() - suffix.length()))) {
                return sample.substring(0, sample.length() - suffix.length());
            }
        }
        return null;
    }

    /** The value of one series, e.g. {@code get("x_total{reason=\"A\"}")}; fails when absent. */
    public double get(String series) {
        Double v = samples.get(series);
        if (v == null) {
            throw new AssertionError("no series " + series + " in " + samples.keySet());
        }
        return v;
    }
}
