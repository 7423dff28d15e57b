package dev.gridmesh.cli.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Stack;
import picocli.CommandLine;
import picocli.CommandLine.IParameterPreprocessor;
import picocli.CommandLine.Model.ArgGroupSpec;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Expands {@code --config FILE} in place into the flags the file sets, while picocli parses: each
 * {@code key = value} becomes {@code --key=value} on the argument stack, unless the flag is also on the command line
 * (before or after {@code --config}), so flags win and picocli's own checks (required options, exclusive groups,
 * converters) apply to the file as to the command line. Values are checked here first, so a bad one is reported as
 * {@code FILE:LINE: key: reason (expected: ...)}.
 */
public final class ConfigFileExpander implements IParameterPreprocessor {
    @Override
    public boolean preprocess(Stack<String> args, CommandSpec spec, ArgSpec argSpec, Map<String, Object> info) {
        if (args.isEmpty()) {
            throw new CommandLine.MissingParameterException(spec.commandLine(), argSpec,
                    "Missing required parameter for option '--config' (FILE)");
        }
        Path path = Path.of(args.pop());
        argSpec.setValue(path);
        List<String> expanded = expand(spec, path, args);
        for (int i = expanded.size() - 1; i >= 0; i--) {
            args.push(expanded.get(i));
        }
        return true;
    }

    /** The config key of an option: its longest name without dashes, inner dashes as underscores. */
    static String keyOf(OptionSpec o) {
        return o.longestName().replaceFirst("^-+", "").replace('-', '_');
    }

    /** The options a file may set, by key. */
    static Map<String, OptionSpec> settable(CommandSpec spec) {
        Map<String, OptionSpec> m = new LinkedHashMap<>();
        for (OptionSpec o : spec.options()) {
            if (o.usageHelp() || o.versionHelp() || o.hidden() || o.longestName().equals("--config")
                    || !o.longestName().startsWith("--")) {
                continue;
            }
            m.put(keyOf(o), o);
        }
        return m;
    }

    static List<String> expand(CommandSpec spec, Path path, List<String> remaining) {
        CommandLine cl = spec.commandLine();
        ConfigFile file;
        try {
            file = ConfigFile.read(path);
        } catch (ConfigFile.Problem p) {
            throw new ConfigFileException(cl, path, p.line(), p.key(), p.reason());
        }
        Map<String, OptionSpec> settable = settable(spec);
        Set<OptionSpec> given = new HashSet<>();
        for (OptionSpec o : spec.options()) {
            if (!o.originalStringValues().isEmpty() || onCommandLine(o, remaining)) {
                given.add(o);
                ArgGroupSpec g = o.group();
                if (g != null && g.exclusive()) {
                    given.addAll(g.options());
                }
            }
        }
        List<String> out = new ArrayList<>();
        Map<ArgGroupSpec, String> groupSetBy = new LinkedHashMap<>();
        for (ConfigFile.Entry e : file.entries().values()) {
            OptionSpec o = settable.get(e.key());
            if (o == null) {
                throw new ConfigFileException(cl, path, e.line(), e.key(),
                        "unknown key (expected one of: " + String.join(", ", settable.keySet()) + ")");
            }
            ArgGroupSpec g = o.group();
            if (g != null && g.exclusive()) {
                String other = groupSetBy.putIfAbsent(g, e.key());
                if (other != null) {
                    throw new ConfigFileException(cl, path, e.line(), e.key(),
                            "set together with " + other + " (expected: only one of them)");
                }
            }
            List<String> values = values(cl, path, e, o);
            if (given.contains(o)) {
                continue; // the command line wins
            }
            out.addAll(values);
        }
        return out;
    }

    private static boolean onCommandLine(OptionSpec o, List<String> remaining) {
        for (String a : remaining) {
            for (String n : o.names()) {
                if (a.equals(n) || (n.startsWith("--") && a.startsWith(n + "="))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The flag arguments for one entry, or a located error. */
    private static List<String> values(CommandLine cl, Path path, ConfigFile.Entry e, OptionSpec o) {
        String flag = o.longestName();
        Class<?> type = o.type();
        JsonNode v = e.value();
        if (type == boolean.class || type == Boolean.class) {
            if (!v.isBoolean()) {
                throw bad(cl, path, e, "true or false");
            }
            return v.booleanValue() ? List.of(flag) : List.of();
        }
        if (o.isMultiValue()) {
            List<String> out = new ArrayList<>();
            for (JsonNode item : v.isArray() ? v : List.of(v)) {
                out.add(flag + "=" + scalar(cl, path, e, o, item));
            }
            return out;
        }
        return List.of(flag + "=" + scalar(cl, path, e, o, v));
    }

    private static String scalar(CommandLine cl, Path path, ConfigFile.Entry e, OptionSpec o, JsonNode v) {
        Class<?> type = o.isMultiValue() && o.auxiliaryTypes().length > 0 ? o.auxiliaryTypes()[0] : o.type();
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class
                || type == short.class || type == Short.class) {
            boolean fits = v.isIntegralNumber() && (type == long.class || type == Long.class ? v.canConvertToLong()
                    : type == short.class || type == Short.class ? v.canConvertToInt()
                            && v.intValue() >= Short.MIN_VALUE && v.intValue() <= Short.MAX_VALUE : v.canConvertToInt());
            if (!fits) {
                throw bad(cl, path, e, "an integer");
            }
            return v.asText();
        }
        if (!v.isTextual()) {
            throw bad(cl, path, e, "a string in double quotes, " + o.paramLabel());
        }
        String s = v.textValue();
        if (type.isEnum()) {
            for (Object c : type.getEnumConstants()) {
                if (((Enum<?>) c).name().equalsIgnoreCase(s)) {
                    return s;
                }
            }
            throw bad(cl, path, e, "one of " + java.util.Arrays.toString(type.getEnumConstants()));
        }
        CommandLine.ITypeConverter<?>[] converters = o.converters();
        if (converters != null && converters.length > 0 && converters[0] != null) {
            try {
                converters[0].convert(s);
            } catch (Exception ex) {
                String why = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
                throw new ConfigFileException(cl, path, e.line(), e.key(), why.contains(s) ? why
                        : "\"" + s + "\": " + why);
            }
        }
        return s;
    }

    private static ConfigFileException bad(CommandLine cl, Path path, ConfigFile.Entry e, String expected) {
        return new ConfigFileException(cl, path, e.line(), e.key(), e.value() + " (expected: " + expected + ")");
    }
}
